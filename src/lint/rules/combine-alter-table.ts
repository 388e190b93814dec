import { relName, tableKey } from '../ast.js';
import type { Rule } from '../types.js';

// Each ALTER TABLE takes its own ACCESS EXCLUSIVE and may scan again (eugene W12).
export const rule: Rule = {
  id: 'combine-alter-table',
  category: 'style',
  severity: 'info',
  message: 'Several ALTER TABLE statements on the same table',
  why: 'Each one queues for ACCESS EXCLUSIVE again, and scans or rewrites are repeated instead of done once.',
  fix: 'Combine them: ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int;',
  examples: {
    bad: ['ALTER TABLE users ADD COLUMN a bigint;\nALTER TABLE users ADD COLUMN b bigint;'],
    good: ['ALTER TABLE users ADD COLUMN a bigint, ADD COLUMN b bigint;'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users ADD COLUMN a bigint;\nALTER TABLE users ADD COLUMN b bigint;',
      expect: [[2, 'ACCESS EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'ALTER TABLE users ADD COLUMN a bigint, ADD COLUMN b bigint;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ADD COLUMN a bigint;\nALTER TABLE users ADD COLUMN b bigint;',
      expect: [[4, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'two different tables',
      sql: 'ALTER TABLE users ADD COLUMN a int;\nALTER TABLE orders ADD COLUMN b int;',
      expect: [],
    },
    {
      name: 'three alters of one table',
      sql: 'ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;\nALTER TABLE users ADD COLUMN c int;',
      expect: [
        [2, 'ACCESS EXCLUSIVE'],
        [3, 'ACCESS EXCLUSIVE'],
      ],
    },
  ],
  kinds: ['AlterTableStmt'],
  check(s, ctx) {
    if (s.kind !== 'AlterTableStmt') return [];
    const t = relName(s.body.relation);
    if (ctx.isNew(tableKey(t)) || ctx.altersBefore(tableKey(t)) === 0) return [];
    return [
      {
        lock: 'ACCESS EXCLUSIVE',
        relation: t,
        message: `${t} was already altered earlier in this file: combine the ALTER TABLE statements`,
      },
    ];
  },
};
