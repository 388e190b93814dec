import { columnsOfType } from '../support/column-type-style.js';
import type { Rule } from '../types.js';

// char(n) pads with spaces and compares surprisingly (squawk ban-char-field).
export const rule: Rule = {
  id: 'ban-char-field',
  category: 'style',
  severity: 'info',
  message: 'char(n) column: prefer text or varchar',
  why: 'char(n) pads values with spaces, wastes storage and has surprising comparison rules; it is never faster.',
  fix: 'text (with a CHECK on length if needed).',
  examples: { bad: ['CREATE TABLE t (code char(3));'], good: ['CREATE TABLE t (code text);'] },
  kinds: ['CreateStmt', 'AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return columnsOfType(
      s,
      (t) => t.name === 'bpchar',
      (table, col) => `${table}.${col} is char(n): prefer text`,
    );
  },
};
