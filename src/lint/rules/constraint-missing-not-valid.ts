import { as, str } from '../ast.js';
import { addedColumns, addedConstraints } from '../support/helpers.js';
import type { Rule } from '../types.js';

// A validated CHECK scans the table under ACCESS EXCLUSIVE (Atlas PG305, eugene E1).
export const rule: Rule = {
  id: 'constraint-missing-not-valid',
  category: 'blocking',
  severity: 'error',
  message: 'Adding a CHECK constraint without NOT VALID blocks reads and writes while every row is checked',
  why: 'ALTER TABLE ... ADD CHECK holds ACCESS EXCLUSIVE while it scans the whole table.',
  fix: 'ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a separate transaction (SHARE UPDATE EXCLUSIVE: reads and writes continue).',
  examples: {
    bad: ['ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0);'],
    good: ['ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: 'ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;',
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0);',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'NOT VALID, then VALIDATE in its own step',
      sql: '-- pgward:no-transaction\nALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;\nALTER TABLE accounts VALIDATE CONSTRAINT positive;',
      migration: true,
      expect: [],
    },
    {
      name: 'a CHECK added with a new column',
      sql: 'ALTER TABLE users ADD COLUMN qty int CHECK (qty > 0);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE accounts (balance int);\nALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0);',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_AddConstraint', 'AT_AddColumn'],
  check(s) {
    const hits = addedConstraints(s)
      .filter(({ con }) => con.contype === 'CONSTR_CHECK' && con.skip_validation !== true)
      .map(({ table, con }) => ({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: table,
        table,
        message:
          `CHECK constraint ${str(con.conname) ?? ''} on ${table} is validated at once under ACCESS EXCLUSIVE`.replace(
            '  ',
            ' ',
          ),
      }));
    for (const c of addedColumns(s)) {
      const checks = ((c.col.constraints as unknown[]) ?? []).filter(
        (k) => as(k, 'Constraint')?.contype === 'CONSTR_CHECK',
      );
      if (checks.length > 0)
        hits.push({
          lock: 'ACCESS EXCLUSIVE',
          relation: c.table,
          table: c.table,
          message: `ADD COLUMN ${c.name} with a CHECK constraint checks every row of ${c.table} under ACCESS EXCLUSIVE`,
        });
    }
    return hits;
  },
};
