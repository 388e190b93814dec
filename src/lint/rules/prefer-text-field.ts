import { columnsOfType } from '../support/column-type-style.js';
import type { Rule } from '../types.js';

// Raising a varchar limit later is easy, but lowering or adding one is not; text + CHECK is flexible (squawk prefer-text-field).
export const rule: Rule = {
  id: 'prefer-text-field',
  category: 'style',
  severity: 'info',
  message: 'varchar(n) column: prefer text with a CHECK on its length',
  why: 'Changing a length limit later takes ACCESS EXCLUSIVE (and shrinking it scans the table); a CHECK can be replaced NOT VALID.',
  fix: 'text with CHECK (length(col) <= n).',
  examples: {
    bad: ['CREATE TABLE t4 (name varchar(100));'],
    good: ['CREATE TABLE t4 (name text CHECK (length(name) <= 100));'],
  },
  kinds: ['CreateStmt', 'AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return columnsOfType(
      s,
      (t) => t.name === 'varchar' && t.typmods.length > 0,
      (table, col, t) => `${table}.${col} is varchar(${t.typmods[0]}): prefer text + CHECK`,
    );
  },
};
