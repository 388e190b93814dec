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
  cases: [
    {
      name: 'flagged example',
      sql: 'CREATE TABLE t4 (created timestamp);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'CREATE TABLE t4 (created timestamptz);', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE TABLE t4 (created timestamp);',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'timestamp(3) without time zone',
      sql: 'ALTER TABLE users ADD COLUMN seen timestamp(3);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'explicit with time zone', sql: 'CREATE TABLE t (at timestamp with time zone);', expect: [] },
  ],
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
