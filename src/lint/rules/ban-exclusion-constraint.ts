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
