import { columnsOfType } from '../support/column-type-style.js';
import type { Rule } from '../types.js';

// serial creates a separately owned sequence with permission and dump quirks (squawk prefer-identity).
export const rule: Rule = {
  id: 'prefer-identity',
  category: 'style',
  severity: 'info',
  message: 'serial column: prefer GENERATED ... AS IDENTITY',
  why: 'serial sequences need their own grants, are not tied to the column in all tools, and let explicit inserts collide with the sequence.',
  fix: 'id bigint GENERATED ALWAYS AS IDENTITY (or BY DEFAULT).',
  examples: {
    bad: ['CREATE TABLE t4 (id serial PRIMARY KEY);'],
    good: ['CREATE TABLE t4 (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'CREATE TABLE t4 (id serial PRIMARY KEY);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: 'CREATE TABLE t4 (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE TABLE t4 (id serial PRIMARY KEY);',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'bigserial in ADD COLUMN',
      sql: 'ALTER TABLE users ADD COLUMN seq bigserial;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'smallserial', sql: 'CREATE TABLE t (id smallserial);', expect: [[1, 'ACCESS EXCLUSIVE']] },
  ],
  kinds: ['CreateStmt', 'AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return columnsOfType(
      s,
      (t) => /^(small|big)?serial[248]?$/.test(t.name),
      (table, col, t) => `${table}.${col} is ${t.name}: prefer an identity column`,
    );
  },
};
