import { lockNeedingTimeout } from '../support/timeouts.js';
import type { Rule } from '../types.js';

// A runaway statement holds its lock for as long as it runs (squawk require-statement-timeout).
export const rule: Rule = {
  id: 'require-statement-timeout',
  category: 'robustness',
  severity: 'warning',
  message: 'No statement_timeout is set before a statement that takes a strong lock',
  why: 'If the statement runs much longer than expected, the lock is held for all of it.',
  fix: "SET statement_timeout = '5min'; before it, or run the file with pgward migrate, which sets it.",
  examples: {
    bad: ['CREATE INDEX CONCURRENTLY i ON users(email);'],
    good: ["SET statement_timeout = '10min';\nCREATE INDEX CONCURRENTLY i ON users(email);"],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'CREATE INDEX CONCURRENTLY i ON users(email);',
      expect: [[1, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: "SET statement_timeout = '10min';\nCREATE INDEX CONCURRENTLY i ON users(email);",
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE INDEX CONCURRENTLY i ON users(email);',
      expect: [[3, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'a pgward migration sets it itself',
      sql: '-- migrate:up\nCREATE INDEX CONCURRENTLY i ON users(email);',
      migration: true,
      expect: [],
    },
    {
      name: 'SET statement_timeout first',
      sql: "SET statement_timeout = '5min';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      expect: [],
    },
  ],
  check(s, ctx) {
    if (ctx.statementTimeoutSet) return [];
    const lock = lockNeedingTimeout(s, ctx);
    return lock
      ? [
          {
            lock: lock.mode,
            relation: lock.relation,
            message: `${lock.mode} on ${lock.relation} without statement_timeout: a slow run holds the lock throughout`,
          },
        ]
      : [];
  },
};
