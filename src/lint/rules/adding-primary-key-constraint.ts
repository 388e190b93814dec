import { str } from '../ast.js';
import { addedColumns, addedConstraints, hasConstraint } from '../support/helpers.js';
import type { Rule } from '../types.js';

// ADD PRIMARY KEY builds an index and sets NOT NULL under ACCESS EXCLUSIVE (Atlas PG104/PG304, eugene W14).
export const rule: Rule = {
  id: 'adding-primary-key-constraint',
  category: 'blocking',
  severity: 'error',
  message: 'Adding a PRIMARY KEY builds an index (and checks NOT NULL) under ACCESS EXCLUSIVE',
  why: 'Reads and writes wait for the index build and for the NOT NULL scan of nullable key columns.',
  fix: 'Make the columns NOT NULL the cheap way (validated CHECK (col IS NOT NULL) first), CREATE UNIQUE INDEX CONCURRENTLY, then ALTER TABLE ... ADD PRIMARY KEY USING INDEX.',
  examples: {
    bad: [
      'ALTER TABLE accounts ADD PRIMARY KEY (id);',
      'ALTER TABLE accounts ADD COLUMN id bigint PRIMARY KEY;',
    ],
    good: ['CREATE TABLE accounts2 (id bigint PRIMARY KEY);'],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'ALTER TABLE accounts ADD PRIMARY KEY (id);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'flagged example 2',
      sql: 'ALTER TABLE accounts ADD COLUMN id bigint PRIMARY KEY;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'CREATE TABLE accounts2 (id bigint PRIMARY KEY);', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE accounts ADD PRIMARY KEY (id);',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a primary key on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (id bigint);\nALTER TABLE t ADD PRIMARY KEY (id);',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddConstraint', 'AT_AddColumn'],
  check(s, ctx) {
    const hits = [];
    for (const { table, con } of addedConstraints(s)) {
      if (con.contype !== 'CONSTR_PRIMARY') continue;
      const idx = str(con.indexname);
      if (idx === undefined) {
        hits.push({
          lock: 'ACCESS EXCLUSIVE' as const,
          relation: table,
          table,
          message: `ADD PRIMARY KEY on ${table} builds an index under ACCESS EXCLUSIVE`,
        });
        continue;
      }
      // USING INDEX: cheap unless a key column is nullable (implicit SET NOT NULL scan).
      const nullable = ctx.live?.indexHasNullable(idx);
      if (nullable === false) continue;
      hits.push({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: table,
        table,
        severity: 'warning' as const,
        message:
          nullable === true
            ? `ADD PRIMARY KEY USING INDEX ${idx}: a key column of ${table} is nullable, so every row is scanned for NULLs under ACCESS EXCLUSIVE`
            : `ADD PRIMARY KEY USING INDEX ${idx} scans ${table} under ACCESS EXCLUSIVE if a key column is nullable`,
      });
    }
    for (const c of addedColumns(s))
      if (hasConstraint(c.col, 'CONSTR_PRIMARY'))
        hits.push({
          lock: 'ACCESS EXCLUSIVE' as const,
          relation: c.table,
          table: c.table,
          message: `ADD COLUMN ${c.name} PRIMARY KEY rewrites and indexes ${c.table} under ACCESS EXCLUSIVE`,
        });
    return hits;
  },
};
