import { addedColumns, hasConstraint, isSerial } from '../support/helpers.js';
import type { Rule } from '../types.js';

// serial / identity columns added to an existing table fill every row from a sequence: a rewrite (eugene E11).
export const rule: Rule = {
  id: 'adding-serial-column',
  category: 'blocking',
  severity: 'error',
  message: 'ADD COLUMN serial / GENERATED AS IDENTITY rewrites the table under ACCESS EXCLUSIVE',
  why: 'Every existing row gets a value from the sequence, so the table is rewritten while reads and writes wait.',
  fix: 'Add a nullable bigint column, attach a sequence default for new rows, backfill in batches, then add constraints the cheap way.',
  examples: {
    bad: [
      'ALTER TABLE users ADD COLUMN seq_no bigserial;',
      'ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;',
    ],
    good: ['ALTER TABLE users ADD COLUMN seq_no bigint;'],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'ALTER TABLE users ADD COLUMN seq_no bigserial;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'flagged example 2',
      sql: 'ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE users ADD COLUMN seq_no bigint;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ADD COLUMN seq_no bigserial;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    { name: 'serial in CREATE TABLE is fine', sql: 'CREATE TABLE t (id serial PRIMARY KEY);', expect: [] },
    {
      name: 'on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (name text);\nALTER TABLE t ADD COLUMN id bigserial;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return addedColumns(s)
      .filter((c) => isSerial(c.col) || hasConstraint(c.col, 'CONSTR_IDENTITY'))
      .map((c) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `ADD COLUMN ${c.name} with a sequence-filled value rewrites ${c.table}`,
      }));
  },
};
