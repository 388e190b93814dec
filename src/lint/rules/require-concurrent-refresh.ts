import { relName } from '../ast.js';
import type { Rule } from '../types.js';

// REFRESH MATERIALIZED VIEW takes ACCESS EXCLUSIVE: even SELECTs on the view wait.
export const rule: Rule = {
  id: 'require-concurrent-refresh',
  category: 'blocking',
  severity: 'error',
  message: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view',
  why: 'ACCESS EXCLUSIVE is held while the query reruns: every SELECT on the view waits.',
  fix: 'REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view; takes EXCLUSIVE, reads continue).',
  examples: { bad: ['REFRESH MATERIALIZED VIEW mv;'], good: ['REFRESH MATERIALIZED VIEW CONCURRENTLY mv;'] },
  cases: [
    { name: 'flagged example', sql: 'REFRESH MATERIALIZED VIEW mv;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'fine example', sql: 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nREFRESH MATERIALIZED VIEW mv;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'WITH NO DATA still takes ACCESS EXCLUSIVE',
      sql: 'REFRESH MATERIALIZED VIEW mv WITH NO DATA;',
      expect: [[1, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'on the second line',
      sql: 'SELECT 1;\nREFRESH MATERIALIZED VIEW mv;',
      expect: [[2, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'a table created earlier in the same migration',
      sql: '-- migrate:up\nCREATE TABLE mv (id bigint);\nREFRESH MATERIALIZED VIEW mv;',
      migration: true,
      expect: [],
    },
  ],
  kinds: ['RefreshMatViewStmt'],
  check(s) {
    if (s.kind !== 'RefreshMatViewStmt' || s.body.concurrent === true) return [];
    const v = relName(s.body.relation);
    return [
      {
        lock: 'ACCESS EXCLUSIVE',
        relation: v,
        table: v,
        message: `REFRESH MATERIALIZED VIEW ${v} blocks reads of ${v} until it finishes`,
      },
    ];
  },
};
