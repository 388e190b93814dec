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
    {
      name: 'on a table truncated earlier in the same file: no rows, no duplicates',
      sql: 'TRUNCATE "users";\nCREATE UNIQUE INDEX "users_email_key" ON "users"("email");',
      expect: [],
    },
    {
      name: 'on a table emptied by DELETE without WHERE earlier in the same file',
      sql: 'DELETE FROM users;\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
      expect: [],
    },
    {
      name: 'a DELETE inside a DO block may not run: the table is not taken as empty',
      sql: 'DO $$ BEGIN IF false THEN DELETE FROM users; END IF; END $$;\nCREATE UNIQUE INDEX u ON users(email);',
      expect: [[2, 'SHARE']],
    },
    {
      name: 'a DELETE with a WHERE does not empty the table',
      sql: 'DELETE FROM users WHERE email IS NULL;\nCREATE UNIQUE INDEX u ON users(email);',
      expect: [[2, 'SHARE']],
    },
    {
      name: 'rows copied in after the table was emptied can be duplicates',
      sql: 'TRUNCATE users;\nINSERT INTO users SELECT * FROM users_backup;\nCREATE UNIQUE INDEX u ON users(email);',
      expect: [[3, 'SHARE']],
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
