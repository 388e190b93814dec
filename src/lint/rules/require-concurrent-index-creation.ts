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
  cases: [
    { name: 'flagged example 1', sql: 'CREATE INDEX idx_u_email ON users(email);', expect: [[1, 'SHARE']] },
    {
      name: 'flagged example 2',
      sql: 'CREATE UNIQUE INDEX users_email_uq ON users(email);',
      expect: [[1, 'SHARE']],
    },
    { name: 'fine example 1', sql: 'CREATE INDEX CONCURRENTLY idx_u_email ON users(email);', expect: [] },
    { name: 'fine example 2', sql: 'CREATE TABLE t2 (id bigint); CREATE INDEX i2 ON t2(id);', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE INDEX idx_u_email ON users(email);',
      expect: [[3, 'SHARE']],
    },
    {
      name: 'CONCURRENTLY in a transactional migration is another rule',
      sql: '-- migrate:up\nCREATE INDEX CONCURRENTLY i ON users(email);',
      migration: true,
      expect: [],
    },
    {
      name: 'in an explicit transaction, on a table created in it',
      sql: 'BEGIN;\nCREATE TABLE t2 (id bigint);\nCREATE INDEX i2 ON t2(id);\nCOMMIT;',
      expect: [],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE users (id bigint);\nCREATE INDEX idx_u_email ON users(email);',
      migration: true,
      expect: [],
    },
  ],
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
