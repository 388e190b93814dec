import { str, tableKey } from '../ast.js';
import { cmdsOf } from '../support/helpers.js';
import type { Rule } from '../types.js';

// SET NOT NULL scans the table under ACCESS EXCLUSIVE, unless (PG 12+) a validated CHECK (col IS NOT NULL)
// already proves it (squawk #628/PR #910, strong_migrations change_column_null).
export const rule: Rule = {
  id: 'adding-not-nullable-field',
  category: 'blocking',
  severity: 'error',
  message: 'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE',
  why: 'Every row is read to prove there is no NULL while reads and writes wait (and it fails if one exists).',
  fix: 'ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; then in a new transaction VALIDATE CONSTRAINT c; then SET NOT NULL (no scan on PG 12+) and DROP CONSTRAINT c.',
  examples: {
    bad: ['ALTER TABLE users ALTER COLUMN email SET NOT NULL;'],
    good: [
      'ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;',
      'ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
    ],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example 1',
      sql: 'ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;',
      expect: [],
    },
    {
      name: 'fine example 2',
      sql: 'ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'after a validated CHECK (col IS NOT NULL) in the same file, on PostgreSQL 12+',
      sql: '-- pgward:no-transaction\nALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      migration: true,
      expect: [],
    },
    {
      name: 'the same CHECK does not help before PostgreSQL 12',
      sql: '-- pgward:no-transaction\nALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      migration: true,
      pgVersion: '11',
      expect: [[4, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a CHECK on another column does not help',
      sql: '-- pgward:no-transaction\nALTER TABLE users ADD CONSTRAINT users_name_nn CHECK (name IS NOT NULL);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      migration: true,
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_SetNotNull'],
  check(s, ctx) {
    const hits = [];
    for (const c of cmdsOf(s)) {
      if (c.subtype !== 'AT_SetNotNull') continue;
      const col = (str(c.cmd.name) ?? '?').toLowerCase();
      const key = `${tableKey(c.table)}.${col}`;
      const proven =
        ctx.pgVersion >= 12 &&
        (ctx.notNullCheckedInFile.has(key) ||
          ctx.live?.table(tableKey(c.table))?.notNullChecked.has(col) === true);
      if (proven) continue;
      hits.push({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `SET NOT NULL on ${c.table}.${col} scans every row under ACCESS EXCLUSIVE`,
      });
    }
    return hits;
  },
};
