import { lockNeedingTimeout } from '../support/timeouts.js';
import type { Rule } from '../types.js';

// Even a brief ACCESS EXCLUSIVE waits behind long queries, and every later query waits behind it
// (squawk require-lock-timeout, eugene E9). pgward's runner sets lock_timeout, so this only applies
// to SQL run by other tools.
export const rule: Rule = {
  id: 'require-lock-timeout',
  category: 'robustness',
  severity: 'warning',
  message: 'No lock_timeout is set before a statement that takes a strong lock',
  why: 'While the statement waits for its lock, every other query on the table queues behind it: a brief ALTER can stall the app for as long as the longest running query.',
  fix: "SET lock_timeout = '2s'; before it (and retry on failure), or run the file with pgward migrate, which sets it.",
  examples: {
    bad: ['ALTER TABLE users ADD COLUMN nickname text;'],
    good: ["SET lock_timeout = '1s';\nALTER TABLE users ADD COLUMN nickname text;"],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'ALTER TABLE users ADD COLUMN nickname text;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: "SET lock_timeout = '1s';\nALTER TABLE users ADD COLUMN nickname text;",
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nALTER TABLE users ADD COLUMN nickname text;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'storage parameters such as fillfactor take SHARE UPDATE EXCLUSIVE (lint truth suite, 13–18)',
      sql: 'ALTER TABLE users SET (fillfactor = 70, autovacuum_enabled = off);',
      expect: [[1, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'ENABLE / DISABLE TRIGGER take SHARE ROW EXCLUSIVE (lint truth suite, 13–18)',
      sql: 'ALTER TABLE users DISABLE TRIGGER ALL;',
      expect: [[1, 'SHARE ROW EXCLUSIVE']],
    },
    {
      name: "a view's security_barrier takes ACCESS EXCLUSIVE",
      sql: 'ALTER VIEW v SET (security_barrier = true);',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a pgward migration sets it itself',
      sql: '-- migrate:up\nALTER TABLE users ADD COLUMN nickname text;',
      migration: true,
      expect: [],
    },
    {
      name: 'RESET lock_timeout in between',
      sql: "SET lock_timeout = '1s';\nRESET lock_timeout;\nALTER TABLE users ADD COLUMN nickname text;",
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    { name: 'a statement that takes no table lock', sql: 'SELECT 1;', expect: [] },
  ],
  check(s, ctx) {
    if (ctx.lockTimeoutSet) return [];
    const lock = lockNeedingTimeout(s, ctx);
    return lock
      ? [
          {
            lock: lock.mode,
            relation: lock.relation,
            message: `${lock.mode} on ${lock.relation} requested without lock_timeout: queries queue behind it while it waits`,
          },
        ]
      : [];
  },
};
