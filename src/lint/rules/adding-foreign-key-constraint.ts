import { relName } from '../ast.js';
import { addedConstraints } from '../support/helpers.js';
import type { Rule } from '../types.js';

// A validated FK scans the child table under SHARE ROW EXCLUSIVE on both tables (Atlas PG306, eugene E1).
export const rule: Rule = {
  id: 'adding-foreign-key-constraint',
  category: 'blocking',
  severity: 'error',
  message:
    'Adding a FOREIGN KEY without NOT VALID blocks writes to both tables while existing rows are checked',
  why: 'SHARE ROW EXCLUSIVE is taken on the table and the referenced table, and held while every existing row is validated.',
  fix: 'ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then in a later migration (or after COMMIT) ALTER TABLE ... VALIDATE CONSTRAINT, which only takes SHARE UPDATE EXCLUSIVE.',
  examples: {
    bad: ['ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id);'],
    good: ['ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id);',
      expect: [[1, 'SHARE ROW EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: 'ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id);',
      expect: [[3, 'SHARE ROW EXCLUSIVE']],
    },
    {
      name: 'a foreign key on a new column (all NULL: nothing to validate)',
      sql: 'ALTER TABLE orders ADD COLUMN user_id bigint REFERENCES users(id);',
      expect: [],
    },
    {
      name: 'a foreign key on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE line_items (id bigint, order_id bigint);\nALTER TABLE line_items ADD CONSTRAINT fk_o FOREIGN KEY (order_id) REFERENCES orders(id);',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddConstraint'],
  check(s) {
    return addedConstraints(s)
      .filter(({ con }) => con.contype === 'CONSTR_FOREIGN' && con.skip_validation !== true)
      .map(({ table, con }) => {
        const ref = relName(con.pktable);
        return {
          lock: 'SHARE ROW EXCLUSIVE' as const,
          relation: table,
          table,
          message: `FOREIGN KEY on ${table} referencing ${ref} is validated at once: writes to ${table} and ${ref} wait for the scan`,
        };
      });
  },
};
