import type { Rule } from '../types.js';

// A BEGIN without COMMIT is silently rolled back when the session ends (squawk ban-uncommitted-transaction, #697);
// a COMMIT without BEGIN, or a nested BEGIN, means the author's idea of the transaction is wrong.
const OPEN = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const CLOSE = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);

export const rule: Rule = {
  id: 'unbalanced-transaction',
  category: 'error',
  severity: 'error',
  message: 'BEGIN and COMMIT are unbalanced',
  why: 'A BEGIN without COMMIT is rolled back when the connection closes: the migration silently does nothing. A COMMIT without BEGIN, or a nested BEGIN, does not do what it seems to.',
  fix: 'Pair every BEGIN with a COMMIT in the same file (or let pgward wrap the migration and remove both).',
  examples: {
    bad: ['BEGIN;\nCREATE TABLE t3 (id bigint);', 'COMMIT;'],
    good: ['BEGIN;\nCREATE TABLE t3 (id bigint);\nCOMMIT;'],
  },
  cases: [
    { name: 'flagged example 1', sql: 'BEGIN;\nCREATE TABLE t3 (id bigint);', expect: [[1, 'none']] },
    { name: 'flagged example 2', sql: 'COMMIT;', expect: [[1, 'none']] },
    { name: 'fine example', sql: 'BEGIN;\nCREATE TABLE t3 (id bigint);\nCOMMIT;', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nBEGIN;\nCREATE TABLE t3 (id bigint);',
      expect: [[3, 'none']],
    },
    { name: 'a nested BEGIN', sql: 'BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;', expect: [[2, 'none']] },
    { name: 'ROLLBACK closes it too', sql: 'BEGIN;\nSELECT 1;\nROLLBACK;', expect: [] },
  ],
  kinds: ['TransactionStmt'],
  check(s, ctx) {
    if (s.kind !== 'TransactionStmt' || s.inDo || (ctx.wrapped && ctx.pgwardRunner)) return [];
    const kind = String(s.body.kind);
    const base = { lock: 'none' as const, relation: '' };
    if (OPEN.has(kind)) {
      if (ctx.explicitTx)
        return [
          {
            ...base,
            message:
              'BEGIN inside an open transaction: PostgreSQL ignores it with a warning, and the first COMMIT ends both',
          },
        ];
      const rest = ctx.statements.slice(ctx.index + 1);
      const closed = rest.some((x) => x.kind === 'TransactionStmt' && CLOSE.has(String(x.body.kind)));
      if (!closed)
        return [
          {
            ...base,
            message: 'BEGIN without COMMIT: everything after it is rolled back when the session ends',
          },
        ];
    }
    if (CLOSE.has(kind) && !ctx.explicitTx)
      return [
        {
          ...base,
          message: `${kind === 'TRANS_STMT_ROLLBACK' ? 'ROLLBACK' : 'COMMIT'} without a matching BEGIN`,
        },
      ];
    return [];
  },
};
