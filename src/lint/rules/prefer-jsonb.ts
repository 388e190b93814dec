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
