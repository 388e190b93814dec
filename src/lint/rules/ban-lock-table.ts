import { as, list, relName } from '../ast.js';
import { LOCK_BY_NUMBER } from '../locks.js';
import type { Rule } from '../types.js';

// An explicit LOCK TABLE in a migration holds the lock until commit: everything after it runs under it.
export const rule: Rule = {
  id: 'ban-lock-table',
  category: 'blocking',
  severity: 'warning',
  message: 'LOCK TABLE holds an explicit lock until the end of the transaction',
  why: 'Other sessions wait for the rest of the migration, and the request itself queues behind long queries.',
  fix: 'Let each statement take the lock it needs, keep the transaction short, and rely on lock_timeout with retries.',
  examples: {
    bad: ['LOCK TABLE users IN ACCESS EXCLUSIVE MODE;', 'LOCK users;'],
    good: ['LOCK TABLE users IN ACCESS SHARE MODE;'],
  },
  cases: [
    {
      name: 'flagged example 1',
      sql: 'LOCK TABLE users IN ACCESS EXCLUSIVE MODE;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'flagged example 2', sql: 'LOCK users;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'fine example', sql: 'LOCK TABLE users IN ACCESS SHARE MODE;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nLOCK TABLE users IN ACCESS EXCLUSIVE MODE;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'SHARE ROW EXCLUSIVE blocks writes',
      sql: 'LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;',
      expect: [[1, 'SHARE ROW EXCLUSIVE']],
    },
    { name: 'ROW SHARE blocks no one', sql: 'LOCK TABLE users IN ROW SHARE MODE;', expect: [] },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE users (id bigint);\nLOCK TABLE users IN ACCESS EXCLUSIVE MODE;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['LockStmt'],
  check(s) {
    if (s.kind !== 'LockStmt') return [];
    const mode = LOCK_BY_NUMBER[typeof s.body.mode === 'number' ? s.body.mode : 8] ?? 'ACCESS EXCLUSIVE';
    // ACCESS SHARE and ROW SHARE conflict only with the strongest modes: not a blocking risk.
    if (mode === 'ACCESS SHARE' || mode === 'ROW SHARE') return [];
    return list(s.body.relations).map((r) => {
      const t = relName(as(r, 'RangeVar'));
      return {
        lock: mode,
        relation: t,
        table: t,
        message: `LOCK TABLE ${t} IN ${mode} MODE blocks other sessions until commit`,
      };
    });
  },
};
