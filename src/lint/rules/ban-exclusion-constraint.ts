import { addedConstraints } from '../support/helpers.js';
import type { Rule } from '../types.js';

// EXCLUDE constraints have no NOT VALID / USING INDEX form: the build always runs under ACCESS EXCLUSIVE.
export const rule: Rule = {
  id: 'ban-exclusion-constraint',
  category: 'blocking',
  severity: 'error',
  message: 'Adding an EXCLUDE constraint builds its index under ACCESS EXCLUSIVE',
  why: 'There is no NOT VALID or USING INDEX form for exclusion constraints: reads and writes wait for the whole build.',
  fix: 'Create a new table with the constraint, backfill it, and swap; or add the constraint in a maintenance window.',
  examples: {
    bad: ['ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);'],
    good: [
      'CREATE TABLE bookings2 (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));',
    ],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: 'CREATE TABLE bookings2 (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'an exclusion constraint in CREATE TABLE (a new table)',
      sql: 'CREATE TABLE bookings (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));',
      expect: [],
    },
    {
      name: 'on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE bookings (room int, during tstzrange);\nALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddConstraint'],
  check(s) {
    return addedConstraints(s)
      .filter(({ con }) => con.contype === 'CONSTR_EXCLUSION')
      .map(({ table }) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: table,
        table,
        message: `EXCLUDE constraint on ${table} builds an index under ACCESS EXCLUSIVE`,
      }));
  },
};
