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
