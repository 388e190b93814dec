import { str } from '../ast.js';
import { cmdsOf } from '../support/helpers.js';
import type { Rule } from '../types.js';

// DROP COLUMN, also when hidden among other actions of one ALTER TABLE (Atlas DS103, squawk ban-drop-column).
export const rule: Rule = {
  id: 'ban-drop-column',
  category: 'destructive',
  severity: 'error',
  message: 'DROP COLUMN deletes the column and its data',
  why: 'The data is lost, and running app versions (and ORMs that cache the column list) fail on the missing column.',
  fix: 'Stop reading and writing the column (e.g. ignored_columns), deploy, check it is no longer used, back it up, then drop it.',
  examples: {
    bad: [
      'ALTER TABLE users DROP COLUMN legacy_flag;',
      'ALTER TABLE users ADD COLUMN a text, DROP COLUMN b;',
    ],
    good: ['ALTER TABLE users ADD COLUMN nickname text;'],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'ALTER TABLE users DROP COLUMN legacy_flag;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'flagged example 2',
      sql: 'ALTER TABLE users ADD COLUMN a text, DROP COLUMN b;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE users ADD COLUMN nickname text;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users DROP COLUMN legacy_flag;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'DROP COLUMN IF EXISTS ... CASCADE',
      sql: 'ALTER TABLE users DROP COLUMN IF EXISTS legacy CASCADE;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'inside a DO block, on its own line',
      sql: 'DO $$\nBEGIN\n  ALTER TABLE orders DROP COLUMN y;\nEND $$;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE users (id bigint);\nALTER TABLE users DROP COLUMN legacy_flag;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_DropColumn'],
  check(s) {
    return cmdsOf(s)
      .filter((c) => c.subtype === 'AT_DropColumn')
      .map((c) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `DROP COLUMN ${c.table}.${str(c.cmd.name) ?? '?'} deletes the column and its data`,
      }));
  },
};
