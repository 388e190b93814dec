import { str, tableKey } from '../ast.js';
import { cmdsOf } from '../support/helpers.js';
import type { Rule } from '../types.js';

// Atlas CD101: integrity and ON DELETE behaviour the app may rely on disappear.
const FK_NAME = /(^fk_|_fk$|_fkey$|foreign)/i;

export const rule: Rule = {
  id: 'dropping-foreign-key',
  category: 'breaking',
  severity: 'warning',
  message:
    'Dropping a FOREIGN KEY removes referential integrity (and any ON DELETE CASCADE the app relies on)',
  why: 'Orphan rows become possible, and deletes that used to cascade no longer do.',
  fix: 'Confirm the constraint is no longer wanted; keep a check that no orphans appear (SELECT ... WHERE NOT EXISTS parent).',
  examples: {
    bad: [
      'ALTER TABLE orders DROP CONSTRAINT fk_user;',
      'ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;',
    ],
    good: ['ALTER TABLE orders DROP CONSTRAINT orders_total_check;'],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'ALTER TABLE orders DROP CONSTRAINT fk_user;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'flagged example 2',
      sql: 'ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE orders DROP CONSTRAINT orders_total_check;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE orders DROP CONSTRAINT fk_user;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE orders (id bigint);\nALTER TABLE orders DROP CONSTRAINT fk_user;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['AlterTableStmt'],
  subtypes: ['AT_DropConstraint'],
  check(s, ctx) {
    const hits = [];
    for (const c of cmdsOf(s)) {
      if (c.subtype !== 'AT_DropConstraint') continue;
      const name = str(c.cmd.name) ?? '?';
      const known = ctx.live?.table(tableKey(c.table))?.constraints.get(name.toLowerCase());
      if (known !== undefined ? known !== 'f' : !FK_NAME.test(name)) continue;
      hits.push({
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: c.table,
        table: c.table,
        message: `DROP CONSTRAINT ${name} removes a foreign key of ${c.table}`,
      });
    }
    return hits;
  },
};
