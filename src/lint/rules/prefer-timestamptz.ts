import { columnsOfType } from '../support/column-type-style.js';
import type { Rule } from '../types.js';

// timestamp without time zone loses the offset (squawk prefer-timestamptz).
export const rule: Rule = {
  id: 'prefer-timestamptz',
  category: 'style',
  severity: 'info',
  message: 'timestamp without time zone: prefer timestamptz',
  why: "The offset is dropped on input, so values depend on the writer's TimeZone setting and comparisons across zones go wrong.",
  fix: 'timestamptz.',
  examples: {
    bad: ['CREATE TABLE t4 (created timestamp);'],
    good: ['CREATE TABLE t4 (created timestamptz);'],
  },
  kinds: ['CreateStmt', 'AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return columnsOfType(
      s,
      (t) => t.name === 'timestamp',
      (table, col) => `${table}.${col} is timestamp without time zone: prefer timestamptz`,
    );
  },
};
