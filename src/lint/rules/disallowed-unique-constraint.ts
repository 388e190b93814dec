import { str } from '../ast.js';
import { addedColumns, addedConstraints, hasConstraint } from '../support/helpers.js';
import type { Rule } from '../types.js';

// ADD CONSTRAINT UNIQUE builds its index under ACCESS EXCLUSIVE (Atlas PG105, eugene E7).
export const rule: Rule = {
  id: 'disallowed-unique-constraint',
  category: 'blocking',
  severity: 'error',
  message: 'Adding a UNIQUE constraint builds an index under ACCESS EXCLUSIVE',
  why: 'Reads and writes wait for the whole index build.',
  fix: 'CREATE UNIQUE INDEX CONCURRENTLY ... in a no-transaction migration, then ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ... (brief lock).',
  examples: {
    bad: ['ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);'],
    good: ['ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_uq;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_uq;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'UNIQUE added with a new column',
      sql: 'ALTER TABLE users ADD COLUMN code text UNIQUE;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (email text);\nALTER TABLE t ADD CONSTRAINT t_email_key UNIQUE (email);',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddConstraint', 'AT_AddColumn'],
  check(s) {
    const hits = addedConstraints(s)
      .filter(({ con }) => con.contype === 'CONSTR_UNIQUE' && con.indexname === undefined)
      .map(({ table, con }) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: table,
        table,
        message:
          `UNIQUE constraint ${str(con.conname) ?? ''} on ${table} builds its index under ACCESS EXCLUSIVE`.replace(
            '  ',
            ' ',
          ),
      }));
    for (const c of addedColumns(s))
      if (hasConstraint(c.col, 'CONSTR_UNIQUE'))
        hits.push({
          lock: 'ACCESS EXCLUSIVE',
          relation: c.table,
          table: c.table,
          message: `ADD COLUMN ${c.name} UNIQUE builds an index on ${c.table} under ACCESS EXCLUSIVE`,
        });
    return hits;
  },
};
