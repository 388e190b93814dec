import { str, tableKey } from '../ast.js';
import { cmdsOf } from '../support/helpers.js';
import type { Rule } from '../types.js';

// NOT VALID then VALIDATE in one transaction keeps the ADD's strong lock through the scan (eugene E4).
export const rule: Rule = {
  id: 'validate-constraint-in-same-transaction',
  category: 'blocking',
  severity: 'error',
  message:
    'VALIDATE CONSTRAINT in the same transaction as the NOT VALID ADD keeps the strong lock during the scan',
  why: 'The ADD CONSTRAINT lock (ACCESS EXCLUSIVE for CHECK, SHARE ROW EXCLUSIVE for FOREIGN KEY) is held until commit, so the validation scan runs under it: NOT VALID gained nothing.',
  fix: 'Move VALIDATE CONSTRAINT to the next migration (or a no-transaction migration), so the ADD commits first.',
  examples: {
    bad: [
      '-- migrate:up\nALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk_user;',
    ],
    good: ['ALTER TABLE orders VALIDATE CONSTRAINT fk_user;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: '-- migrate:up\nALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk_user;',
      migration: true,
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE orders VALIDATE CONSTRAINT fk_user;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: '-- migrate:up\nSELECT 1;\n\nALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk_user;',
      migration: true,
      expect: [[5, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'in a no-transaction migration each statement commits',
      sql: '-- pgward:no-transaction\nALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk_user;',
      migration: true,
      expect: [],
    },
    {
      name: 'in an explicit transaction of a script',
      sql: 'BEGIN;\nALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;\nALTER TABLE accounts VALIDATE CONSTRAINT positive;\nCOMMIT;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'committed in between',
      sql: 'BEGIN;\nALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;\nCOMMIT;\nALTER TABLE accounts VALIDATE CONSTRAINT positive;',
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_ValidateConstraint'],
  check(s, ctx) {
    return cmdsOf(s)
      .filter((c) => c.subtype === 'AT_ValidateConstraint')
      .filter((c) => ctx.notValidInTx.has(`${tableKey(c.table)}.${(str(c.cmd.name) ?? '').toLowerCase()}`))
      .map((c) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `VALIDATE CONSTRAINT ${str(c.cmd.name)} runs in the transaction that added it: ${c.table} stays locked during the scan`,
      }));
  },
};
