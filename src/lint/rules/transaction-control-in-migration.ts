import type { Rule } from '../types.js';

// pgward wraps each transactional migration together with its history row; a COMMIT inside would end
// that transaction early and break the all-or-nothing guarantee (pgward's runner refuses it too).
export const rule: Rule = {
  id: 'transaction-control-in-migration',
  category: 'error',
  severity: 'error',
  message: 'BEGIN/COMMIT/ROLLBACK inside a migration that pgward wraps in a transaction',
  why: 'pgward already runs the file and its history row in one transaction; explicit transaction control would split it, so pgward refuses to run the file.',
  fix: 'Remove BEGIN/COMMIT (pgward wraps the file), or add "-- pgward:no-transaction" to manage transactions yourself.',
  examples: {
    bad: ['-- migrate:up\nBEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;'],
    good: ['-- migrate:up\nCREATE TABLE t (id bigint);'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: '-- migrate:up\nBEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;',
      migration: true,
      expect: [
        [2, 'none'],
        [4, 'none'],
      ],
    },
    { name: 'fine example', sql: '-- migrate:up\nCREATE TABLE t (id bigint);', migration: true, expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: '-- migrate:up\nSELECT 1;\n\nBEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;',
      migration: true,
      expect: [
        [4, 'none'],
        [6, 'none'],
      ],
    },
    {
      name: 'COMMIT alone in a migration',
      sql: '-- migrate:up\nCREATE TABLE t3 (id bigint);\nCOMMIT;',
      migration: true,
      expect: [[3, 'none']],
    },
    {
      name: 'BEGIN/COMMIT in a plain script are fine',
      sql: 'BEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;',
      expect: [],
    },
  ],
  kinds: ['TransactionStmt'],
  check(s, ctx) {
    if (s.kind !== 'TransactionStmt' || s.inDo || !ctx.wrapped || !ctx.pgwardRunner) return [];
    const kind = String(s.body.kind);
    if (!/BEGIN|START|COMMIT|ROLLBACK$|PREPARE/.test(kind)) return [];
    return [
      {
        lock: 'none',
        relation: '',
        message: `${kind.replace('TRANS_STMT_', '')} inside a migration pgward wraps in a transaction`,
      },
    ];
  },
};
