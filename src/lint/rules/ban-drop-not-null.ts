import { str } from '../ast.js';
import { cmdsOf } from '../support/helpers.js';
import type { Rule } from '../types.js';

// Readers that assume a value start receiving NULLs (squawk ban-drop-not-null).
export const rule: Rule = {
  id: 'ban-drop-not-null',
  category: 'breaking',
  severity: 'warning',
  message: 'DROP NOT NULL lets NULLs into a column that readers assume is always set',
  why: 'Code and reports written for a NOT NULL column may crash or miscount when NULLs appear.',
  fix: 'Keep NOT NULL and use a sentinel or a default, or make sure every reader handles NULL before dropping it.',
  examples: {
    bad: ['ALTER TABLE users ALTER COLUMN email DROP NOT NULL;'],
    good: ["ALTER TABLE users ALTER COLUMN email SET DEFAULT '';"],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users ALTER COLUMN email DROP NOT NULL;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: "ALTER TABLE users ALTER COLUMN email SET DEFAULT '';", expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'SET NOT NULL is another rule',
      sql: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      expect: [],
    },
    {
      name: 'on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (a text NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_DropNotNull'],
  check(s) {
    return cmdsOf(s)
      .filter((c) => c.subtype === 'AT_DropNotNull')
      .map((c) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `DROP NOT NULL on ${c.table}.${str(c.cmd.name)} lets NULLs in`,
      }));
  },
};
