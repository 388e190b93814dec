import { relName } from '../ast.js';
import type { Rule } from '../types.js';

// CREATE INDEX holds SHARE on the table for the whole build: writes wait (squawk, Atlas PG101, eugene E6).
export const rule: Rule = {
  id: 'require-concurrent-index-creation',
  category: 'blocking',
  severity: 'error',
  message: 'CREATE INDEX without CONCURRENTLY blocks writes for the whole build',
  why: 'A plain index build holds a SHARE lock: INSERT, UPDATE and DELETE wait until the index is built, which takes time proportional to the table size.',
  fix: 'CREATE INDEX CONCURRENTLY in a migration marked "-- pgward:no-transaction".',
  examples: {
    bad: ['CREATE INDEX idx_u_email ON users(email);', 'CREATE UNIQUE INDEX users_email_uq ON users(email);'],
    good: [
      'CREATE INDEX CONCURRENTLY idx_u_email ON users(email);',
      'CREATE TABLE t2 (id bigint); CREATE INDEX i2 ON t2(id);',
    ],
  },
  kinds: ['IndexStmt'],
  check(s) {
    if (s.kind !== 'IndexStmt' || s.body.concurrent === true) return [];
    const t = relName(s.body.relation);
    return [
      {
        lock: 'SHARE',
        relation: t,
        table: t,
        message: `CREATE INDEX on ${t} without CONCURRENTLY blocks writes to ${t} for the whole build`,
      },
    ];
  },
};
