import { relName, str } from '../ast.js';
import { addedConstraints } from '../support/helpers.js';
import type { Rule } from '../types.js';

// A unique index or constraint on existing rows fails on duplicates; CONCURRENTLY then leaves an INVALID index (Atlas MF101).
export const rule: Rule = {
  id: 'unique-on-existing-data',
  category: 'fails',
  severity: 'warning',
  message: 'A UNIQUE index or constraint on existing rows fails if duplicates exist',
  why: 'The build errors on the first duplicate; a failed CREATE UNIQUE INDEX CONCURRENTLY leaves an INVALID index behind.',
  fix: 'Check first: SELECT col, count(*) FROM t GROUP BY col HAVING count(*) > 1; clean duplicates before the migration.',
  examples: {
    bad: [
      'CREATE UNIQUE INDEX CONCURRENTLY users_email_uq ON users(email);',
      'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
    ],
    good: ['CREATE INDEX CONCURRENTLY users_email_idx ON users(email);'],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'CREATE UNIQUE INDEX CONCURRENTLY users_email_uq ON users(email);',
      expect: [[1, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'flagged example 2',
      sql: 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users(email);', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE UNIQUE INDEX CONCURRENTLY users_email_uq ON users(email);',
      expect: [[3, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (email text);\nCREATE UNIQUE INDEX u ON t(email);',
      migration: true,
      expect: [],
    },
    {
      name: 'CONCURRENTLY still fails on duplicates',
      sql: '-- pgward:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY u ON users(email);',
      migration: true,
      expect: [[2, 'SHARE UPDATE EXCLUSIVE']],
    },
  ],
  kinds: ['IndexStmt', 'AlterTableStmt'],
  subtypes: ['AT_AddConstraint'],
  check(s) {
    if (s.kind === 'IndexStmt' && s.body.unique === true) {
      const t = relName(s.body.relation);
      return [
        {
          lock: s.body.concurrent === true ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE',
          relation: t,
          table: t,
          message: `UNIQUE index ${str(s.body.idxname) ?? ''} on ${t} fails if ${t} has duplicates`.replace(
            '  ',
            ' ',
          ),
        },
      ];
    }
    return addedConstraints(s)
      .filter(
        ({ con }) =>
          (con.contype === 'CONSTR_UNIQUE' || con.contype === 'CONSTR_PRIMARY') &&
          con.indexname === undefined,
      )
      .map(({ table, con }) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: table,
        table,
        message: `${con.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'} on ${table} fails if ${table} has duplicates${con.contype === 'CONSTR_PRIMARY' ? ' or NULLs' : ''}`,
      }));
  },
};
