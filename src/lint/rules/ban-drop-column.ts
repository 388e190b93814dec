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
