import { as, list, str } from '../ast.js';
import type { Rule } from '../types.js';

// DROP INDEX takes ACCESS EXCLUSIVE on the table: brief, but it queues behind long transactions.
export const rule: Rule = {
  id: 'require-concurrent-index-deletion',
  category: 'blocking',
  severity: 'warning',
  message: 'DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table',
  why: 'Reads and writes of the table wait for the lock; if a long query holds the table, everything queues behind the DROP.',
  fix: 'DROP INDEX CONCURRENTLY in a migration marked "-- pgward:no-transaction".',
  examples: { bad: ['DROP INDEX idx_u_email;'], good: ['DROP INDEX CONCURRENTLY IF EXISTS idx_u_email;'] },
  cases: [
    { name: 'flagged example', sql: 'DROP INDEX idx_u_email;', expect: [[1, 'ACCESS EXCLUSIVE']] },
    { name: 'fine example', sql: 'DROP INDEX CONCURRENTLY IF EXISTS idx_u_email;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nDROP INDEX idx_u_email;',
      expect: [[3, 'ACCESS EXCLUSIVE']],
    },
    {
      name: 'DROP INDEX CONCURRENTLY in a no-transaction migration',
      sql: '-- pgward:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;',
      migration: true,
      expect: [],
    },
    {
      name: 'two indexes in one statement',
      sql: 'DROP INDEX a_idx, b_idx;',
      expect: [
        [1, 'ACCESS EXCLUSIVE'],
        [1, 'ACCESS EXCLUSIVE'],
      ],
    },
  ],
  kinds: ['DropStmt'],
  check(s, ctx) {
    if (s.kind !== 'DropStmt' || s.body.removeType !== 'OBJECT_INDEX' || s.body.concurrent === true)
      return [];
    return list(s.body.objects).map((o) => {
      const idx = list(as(o, 'List')?.items)
        .map((n) => str(as(n, 'String')?.sval))
        .join('.');
      const table = ctx.live?.indexTable(idx);
      return {
        lock: 'ACCESS EXCLUSIVE' as const,
        relation: table ? `${table} (index ${idx})` : `table of index ${idx}`,
        table,
        message: `DROP INDEX ${idx} takes ACCESS EXCLUSIVE on ${table ?? 'its table'}: reads and writes wait`,
      };
    });
  },
};
