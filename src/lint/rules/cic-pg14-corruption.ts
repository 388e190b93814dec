import { relName } from '../ast.js';
import { isConcurrent } from '../locks.js';
import type { Rule } from '../types.js';

// PostgreSQL 14.0–14.3 could build corrupt indexes with CONCURRENTLY (fixed in 14.4; strong_migrations add_index_corruption).
export const rule: Rule = {
  id: 'cic-pg14-corruption',
  category: 'robustness',
  severity: 'error',
  message: 'CREATE INDEX / REINDEX CONCURRENTLY on PostgreSQL 14.0–14.3 can silently corrupt the index',
  why: 'A bug fixed in 14.4 could miss rows updated during a concurrent build.',
  fix: 'Upgrade to PostgreSQL 14.4 or later before building indexes concurrently.',
  examples: {
    bad: ['CREATE INDEX CONCURRENTLY i ON users(email);'],
    good: ['CREATE INDEX i ON new_table(x);'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'CREATE INDEX CONCURRENTLY i ON users(email);',
      pgVersion: '14.2',
      expect: [[1, 'SHARE UPDATE EXCLUSIVE']],
    },
    { name: 'fine example', sql: 'CREATE INDEX i ON new_table(x);', pgVersion: '14.2', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nCREATE INDEX CONCURRENTLY i ON users(email);',
      pgVersion: '14.2',
      expect: [[3, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'fixed in 14.4',
      sql: 'CREATE INDEX CONCURRENTLY i ON users(email);',
      pgVersion: '14.4',
      expect: [],
    },
    {
      name: 'REINDEX CONCURRENTLY on 14.0',
      sql: 'REINDEX INDEX CONCURRENTLY users_email_idx;',
      pgVersion: '14.0',
      expect: [[1, 'SHARE UPDATE EXCLUSIVE']],
    },
    { name: 'not on 13', sql: 'CREATE INDEX CONCURRENTLY i ON users(email);', pgVersion: '13', expect: [] },
  ],
  exampleOptions: { pgVersion: '14.2' },
  kinds: ['IndexStmt', 'ReindexStmt'],
  check(s, ctx) {
    const v = ctx.pgVersionNum;
    if (v === undefined || v < 140000 || v >= 140004) return [];
    if (!((s.kind === 'IndexStmt' || s.kind === 'ReindexStmt') && isConcurrent(s))) return [];
    const t = relName(s.body.relation);
    return [
      {
        lock: 'SHARE UPDATE EXCLUSIVE',
        relation: t,
        message: `concurrent index build on ${t} on PostgreSQL ${Math.floor(v / 10000)}.${v % 100} risks corruption`,
      },
    ];
  },
};
