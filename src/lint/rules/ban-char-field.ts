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
  cases: [
    { name: 'flagged example', sql: 'CREATE TABLE t (code char(3));', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'fine example', sql: 'CREATE TABLE t (code text);', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE TABLE t (code char(3));',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'ALTER TABLE ADD COLUMN char(n)',
      sql: 'ALTER TABLE users ADD COLUMN code char(2);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'varchar is another rule', sql: 'CREATE TABLE t (code varchar(2));', expect: [] },
  ],
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
