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
  cases: [
    {
      name: 'flagged example',
      sql: 'CREATE TABLE t4 (name varchar(100));',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'CREATE TABLE t4 (name text CHECK (length(name) <= 100));', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE TABLE t4 (name varchar(100));',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'varchar without a length limit is not flagged',
      sql: 'CREATE TABLE t (name varchar);',
      expect: [],
    },
    {
      name: 'ALTER COLUMN TYPE varchar(n)',
      sql: 'ALTER TABLE users ADD COLUMN name varchar(50);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
  ],
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
