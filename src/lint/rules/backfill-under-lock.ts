import { relName, tableKey } from '../ast.js';
import type { Rule } from '../types.js';

// DML after an ACCESS EXCLUSIVE lock in the same transaction runs with the table locked (eugene E4, T46).
export const rule: Rule = {
  id: 'backfill-under-lock',
  category: 'blocking',
  severity: 'error',
  message:
    'Data change after an ACCESS EXCLUSIVE lock in the same transaction: the table stays locked until it finishes',
  why: 'Locks are held until commit; a backfill after ALTER TABLE keeps the table unreadable for the whole UPDATE.',
  fix: 'Commit the DDL first; backfill in batches in a separate (no-transaction) migration or job.',
  examples: {
    bad: [
      '-- migrate:up\nALTER TABLE users ADD COLUMN active boolean;\nUPDATE users SET active = true WHERE active IS NULL;',
    ],
    good: ['UPDATE users SET active = true WHERE id < 1000;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: '-- migrate:up\nALTER TABLE users ADD COLUMN active boolean;\nUPDATE users SET active = true WHERE active IS NULL;',
      migration: true,
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'UPDATE users SET active = true WHERE id < 1000;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: '-- migrate:up\nSELECT 1;\n\nALTER TABLE users ADD COLUMN active boolean;\nUPDATE users SET active = true WHERE active IS NULL;',
      migration: true,
      expect: [[5, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'in an explicit transaction of a plain script',
      sql: 'BEGIN;\nALTER TABLE users ADD COLUMN active boolean;\nUPDATE users SET active = true WHERE id > 0;\nCOMMIT;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'in a no-transaction migration the lock is released before the update',
      sql: '-- pgward:no-transaction\nALTER TABLE users ADD COLUMN active boolean;\nUPDATE users SET active = true WHERE active IS NULL;',
      migration: true,
      expect: [],
    },
    {
      name: 'on a table created in the same migration',
      sql: '-- migrate:up\nCREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN active boolean;\nUPDATE t SET active = true;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['UpdateStmt', 'DeleteStmt', 'InsertStmt'],
  check(s, ctx) {
    if (!['UpdateStmt', 'DeleteStmt', 'InsertStmt'].includes(s.kind) || ctx.exclusiveHeld.size === 0)
      return [];
    const target = relName(s.body.relation);
    if (ctx.isNew(tableKey(target))) return [];
    const held = [...ctx.exclusiveHeld];
    const on = held.includes(tableKey(target)) ? tableKey(target) : held[0]!;
    return [
      {
        lock: 'ACCESS EXCLUSIVE',
        relation: on,
        table: on,
        message: `${s.kind.replace('Stmt', '').toUpperCase()} on ${target} runs while ${on} is held under ACCESS EXCLUSIVE (taken earlier in this transaction)`,
      },
    ];
  },
};
