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
