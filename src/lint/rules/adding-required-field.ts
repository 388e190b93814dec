import { addedColumns, defaultExpr, hasConstraint } from '../support/helpers.js';
import type { Rule } from '../types.js';

// NOT NULL without a default fails on any existing row, and old app versions' INSERTs fail (Atlas MF103).
export const rule: Rule = {
  id: 'adding-required-field',
  category: 'fails',
  severity: 'error',
  message: 'ADD COLUMN ... NOT NULL without a DEFAULT fails if the table has rows',
  why: 'Existing rows would be NULL, so the statement errors on a non-empty table; and INSERTs from app versions that do not know the column fail.',
  fix: 'Add the column nullable (or NOT NULL with a constant DEFAULT), backfill, then make it NOT NULL the cheap way.',
  examples: {
    bad: ['ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;'],
    good: [
      'ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT 0;',
      'ALTER TABLE users ADD COLUMN tenant_id bigint;',
    ],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example 1',
      sql: 'ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT 0;',
      expect: [],
    },
    { name: 'fine example 2', sql: 'ALTER TABLE users ADD COLUMN tenant_id bigint;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration has no rows',
      sql: '-- migrate:up\nCREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN tenant_id bigint NOT NULL;',
      migration: true,
      expect: [],
    },
    {
      name: 'an identity column fills itself',
      sql: 'ALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY;',
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return addedColumns(s)
      .filter(
        (c) =>
          hasConstraint(c.col, 'CONSTR_NOTNULL') &&
          defaultExpr(c.col) === undefined &&
          !hasConstraint(c.col, 'CONSTR_GENERATED') &&
          !hasConstraint(c.col, 'CONSTR_IDENTITY') &&
          !hasConstraint(c.col, 'CONSTR_PRIMARY'),
      )
      .map((c) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `ADD COLUMN ${c.name} NOT NULL without DEFAULT fails unless ${c.table} is empty`,
      }));
  },
};
