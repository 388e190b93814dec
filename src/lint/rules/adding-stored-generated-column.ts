import { as, list } from '../ast.js';
import { addedColumns } from '../support/helpers.js';
import type { Rule } from '../types.js';

// A STORED generated column is computed for every existing row: a rewrite (sm add_column_generated_stored, eugene E11).
// A VIRTUAL one (PostgreSQL 18, and 18's default when neither is written) is computed on read: the lint
// truth suite sees no rewrite on 18.

/** The column is GENERATED ... STORED (libpg-query: generated_kind 's'; 'v' is VIRTUAL). */
function storedGenerated(col: Record<string, unknown>): boolean {
  return list(col.constraints).some((c) => {
    const k = as(c, 'Constraint');
    return k?.contype === 'CONSTR_GENERATED' && k.generated_kind !== 'v';
  });
}
export const rule: Rule = {
  id: 'adding-stored-generated-column',
  category: 'blocking',
  severity: 'error',
  message: 'ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites the table under ACCESS EXCLUSIVE',
  why: 'The value is computed and stored for every existing row while reads and writes wait.',
  fix: 'Add a plain column, keep it filled with a trigger, backfill in batches; or use a VIRTUAL generated column on PostgreSQL 18+.',
  examples: {
    bad: [
      "ALTER TABLE users ADD COLUMN full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED;",
    ],
    good: ['ALTER TABLE users ADD COLUMN full_name text;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: "ALTER TABLE users ADD COLUMN full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED;",
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE users ADD COLUMN full_name text;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: "SELECT 1;\n\nALTER TABLE users ADD COLUMN full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED;",
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a VIRTUAL generated column (PostgreSQL 18) is computed on read: no rewrite',
      sql: 'ALTER TABLE users ADD COLUMN twice int GENERATED ALWAYS AS (n * 2) VIRTUAL;',
      expect: [],
    },
    {
      name: "no STORED keyword: VIRTUAL, PostgreSQL 18's default",
      sql: 'ALTER TABLE users ADD COLUMN twice int GENERATED ALWAYS AS (n * 2);',
      expect: [],
    },
    {
      name: 'a generated column in CREATE TABLE',
      sql: "CREATE TABLE people (first_name text, last_name text, full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED);",
      expect: [],
    },
    {
      name: 'on a table created in the same migration',
      sql: "-- migrate:up\nCREATE TABLE people (first_name text, last_name text);\nALTER TABLE people ADD COLUMN full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED;",
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return addedColumns(s)
      .filter((c) => storedGenerated(c.col))
      .map((c) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `ADD COLUMN ${c.name} GENERATED ... STORED rewrites ${c.table}`,
      }));
  },
};
