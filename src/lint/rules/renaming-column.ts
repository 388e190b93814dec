import { relName, str } from '../ast.js';
import type { Rule } from '../types.js';

// Running app versions still use the old name (squawk renaming-column, Atlas BC102).
export const rule: Rule = {
  id: 'renaming-column',
  category: 'breaking',
  severity: 'error',
  message: 'RENAME COLUMN breaks every running app version that uses the old name',
  why: 'During a deploy old and new app versions run side by side; the old one fails as soon as the rename commits.',
  fix: 'Add the new column, write to both, backfill, switch reads, then drop the old column (expand/contract); or alias it in the ORM.',
  examples: {
    bad: ['ALTER TABLE users RENAME COLUMN email TO email_address;'],
    good: ['ALTER TABLE users ADD COLUMN email_address text;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users RENAME COLUMN email TO email_address;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE users ADD COLUMN email_address text;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users RENAME COLUMN email TO email_address;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (a text);\nALTER TABLE t RENAME COLUMN a TO b;',
      migration: true,
      expect: [],
    },
    {
      name: 'inside a DO block',
      sql: 'DO $$ BEGIN ALTER TABLE users RENAME COLUMN email TO mail; END $$;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
  ],
  kinds: ['RenameStmt'],
  check(s) {
    if (s.kind !== 'RenameStmt' || s.body.renameType !== 'OBJECT_COLUMN') return [];
    const t = relName(s.body.relation);
    return [
      {
        lock: 'ACCESS EXCLUSIVE',
        relation: t,
        table: t,
        message: `RENAME COLUMN ${t}.${str(s.body.subname)} → ${str(s.body.newname)} breaks code using the old name`,
      },
    ];
  },
};
