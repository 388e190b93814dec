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
