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
