import { relName, str } from '../ast.js';
import { isConcurrent } from '../locks.js';
import type { Rule } from '../types.js';

// REINDEX holds SHARE on the table (writes wait) and ACCESS EXCLUSIVE on the index (queries that plan
// with it wait too: reads are hit as well).
export const rule: Rule = {
  id: 'require-concurrent-reindex',
  category: 'blocking',
  severity: 'error',
  message: 'REINDEX without CONCURRENTLY blocks writes, and reads that use the index',
  why: 'The table is locked in SHARE mode and the index in ACCESS EXCLUSIVE for the whole rebuild.',
  fix: 'REINDEX ... CONCURRENTLY (PostgreSQL 12+) in a migration marked "-- pgward:no-transaction".',
  examples: {
    bad: ['REINDEX INDEX idx_u_email;', 'REINDEX TABLE users;'],
    good: ['REINDEX INDEX CONCURRENTLY idx_u_email;'],
  },
  cases: [
    { name: 'flagged example 1', sql: 'REINDEX INDEX idx_u_email;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'flagged example 2', sql: 'REINDEX TABLE users;', expect: [[1, 'SHARE']] },
    { name: 'fine example', sql: 'REINDEX INDEX CONCURRENTLY idx_u_email;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nREINDEX INDEX idx_u_email;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'REINDEX CONCURRENTLY needs PostgreSQL 12',
      sql: 'REINDEX INDEX idx_u_email;',
      pgVersion: '11',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    { name: 'REINDEX SCHEMA', sql: 'REINDEX SCHEMA public;', expect: [[1, 'SHARE']] },
  ],
  kinds: ['ReindexStmt'],
  check(s, ctx) {
    if (s.kind !== 'ReindexStmt' || isConcurrent(s)) return [];
    const kind = str(s.body.kind) ?? '';
    if (!['REINDEX_OBJECT_INDEX', 'REINDEX_OBJECT_TABLE'].includes(kind)) {
      const what = str(s.body.name) ?? 'every table';
      return [
        {
          lock: 'SHARE',
          relation: what,
          message: `REINDEX ${kind.replace('REINDEX_OBJECT_', '')} ${what} locks every table it rebuilds`,
        },
      ];
    }
    const name = relName(s.body.relation);
    const table = kind === 'REINDEX_OBJECT_INDEX' ? ctx.live?.indexTable(name) : name;
    return [
      {
        lock: kind === 'REINDEX_OBJECT_INDEX' ? 'ACCESS EXCLUSIVE' : 'SHARE',
        relation: kind === 'REINDEX_OBJECT_INDEX' ? `index ${name}${table ? ` on ${table}` : ''}` : name,
        table,
        message:
          kind === 'REINDEX_OBJECT_INDEX'
            ? `REINDEX INDEX ${name} takes ACCESS EXCLUSIVE on the index and SHARE on ${table ?? 'its table'}`
            : `REINDEX TABLE ${name} takes SHARE on ${name} and ACCESS EXCLUSIVE on each of its indexes`,
        ...(ctx.pgVersion < 12
          ? {
              fix: 'Upgrade to PostgreSQL 12+ for REINDEX CONCURRENTLY, or build a new index CONCURRENTLY and drop the old one.',
            }
          : {}),
      },
    ];
  },
};
