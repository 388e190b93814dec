import { columnsOfType } from '../support/column-type-style.js';
import type { Rule } from '../types.js';

// 32- and 16-bit ids overflow, and changing the type later rewrites the table (squawk prefer-bigint-over-int/smallint).
const SMALL = new Set([
  'int4',
  'int2',
  'int',
  'integer',
  'smallint',
  'serial',
  'serial4',
  'smallserial',
  'serial2',
]);

export const rule: Rule = {
  id: 'prefer-bigint',
  category: 'style',
  severity: 'info',
  message: 'integer / smallint column: prefer bigint',
  why: 'A 32-bit column overflows at 2.1 billion; widening it later is a full table rewrite under ACCESS EXCLUSIVE.',
  fix: 'Use bigint (or bigint GENERATED ... AS IDENTITY for ids).',
  examples: {
    bad: ['CREATE TABLE t (id int PRIMARY KEY);', 'ALTER TABLE t ADD COLUMN n smallint;'],
    good: ['CREATE TABLE t (id bigint PRIMARY KEY);'],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'CREATE TABLE t (id int PRIMARY KEY);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'flagged example 2',
      sql: 'ALTER TABLE t ADD COLUMN n smallint;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'CREATE TABLE t (id bigint PRIMARY KEY);', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE TABLE t (id int PRIMARY KEY);',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'an int column in ALTER TABLE',
      sql: 'ALTER TABLE users ADD COLUMN n int;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'smallint', sql: 'CREATE TABLE t (n smallint);', expect: [[1, 'ACCESS EXCLUSIVE']] },
  ],
  kinds: ['CreateStmt', 'AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return columnsOfType(
      s,
      (t) => SMALL.has(t.name) && !t.array,
      (table, col, t) => `${table}.${col} is ${t.name}: prefer bigint`,
    );
  },
};
