import { typeRef } from '../ast.js';
import { addedColumns, hasConstraint } from '../support/helpers.js';
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
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddColumn'],
  check(s) {
    return addedColumns(s)
      .filter(
        (c) =>
          /^(small|big)?serial[248]?$/.test(typeRef(c.col.typeName)?.name ?? '') ||
          hasConstraint(c.col, 'CONSTR_IDENTITY'),
      )
      .map((c) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `ADD COLUMN ${c.name} with a sequence-filled value rewrites ${c.table}`,
      }));
  },
};
