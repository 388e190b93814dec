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
