import { columnsOfType } from '../support/column-type-style.js';
import type { Rule } from '../types.js';

// json has no equality operator: SELECT DISTINCT, UNION and GROUP BY on it fail (strong_migrations add_column_json, eugene E3).
export const rule: Rule = {
  id: 'prefer-jsonb',
  category: 'style',
  severity: 'warning',
  message: 'json column: prefer jsonb',
  why: 'json has no equality operator, so SELECT DISTINCT, UNION and GROUP BY over rows with it fail; it cannot be indexed with GIN.',
  fix: 'jsonb.',
  examples: {
    bad: ['ALTER TABLE users ADD COLUMN props json;'],
    good: ['ALTER TABLE users ADD COLUMN props jsonb;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users ADD COLUMN props json;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE users ADD COLUMN props jsonb;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ADD COLUMN props json;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    { name: 'json[]', sql: 'CREATE TABLE t (a json[]);', expect: [[1, 'ACCESS EXCLUSIVE']] },
  ],
  kinds: ['CreateStmt', 'AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return columnsOfType(
      s,
      (t) => t.name === 'json',
      (table, col) => `${table}.${col} is json: prefer jsonb`,
    );
  },
};
