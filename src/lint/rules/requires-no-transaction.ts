import { as } from '../ast.js';
import { isConcurrent, statementLock } from '../locks.js';
import { cmdsOf } from '../support/helpers.js';
import type { Rule, Stmt } from '../types.js';

// Statements PostgreSQL refuses inside a transaction block (squawk ban-concurrent-index-creation-in-transaction, Atlas PG103).
function whatNeedsNoTx(s: Stmt, pgVersion: number): string | undefined {
  if ((s.kind === 'IndexStmt' || s.kind === 'ReindexStmt') && isConcurrent(s))
    return `${s.kind === 'IndexStmt' ? 'CREATE INDEX' : 'REINDEX'} CONCURRENTLY`;
  if (s.kind === 'DropStmt' && s.body.removeType === 'OBJECT_INDEX' && s.body.concurrent === true)
    return 'DROP INDEX CONCURRENTLY';
  if (
    cmdsOf(s).some(
      (c) => c.subtype === 'AT_DetachPartition' && as(c.cmd.def, 'PartitionCmd')?.concurrent === true,
    )
  )
    return 'DETACH PARTITION CONCURRENTLY';
  if (s.kind === 'VacuumStmt') return s.body.is_vacuumcmd === false ? undefined : 'VACUUM';
  if (s.kind === 'CreatedbStmt' || s.kind === 'DropdbStmt')
    return s.kind === 'CreatedbStmt' ? 'CREATE DATABASE' : 'DROP DATABASE';
  if (s.kind === 'AlterSystemStmt') return 'ALTER SYSTEM';
  if (s.kind === 'CreateTableSpaceStmt' || s.kind === 'DropTableSpaceStmt') return 'CREATE/DROP TABLESPACE';
  if (s.kind === 'AlterEnumStmt' && s.body.oldVal === undefined && pgVersion < 12)
    return `ALTER TYPE ... ADD VALUE (before PostgreSQL 12)`;
  return undefined;
}

export const rule: Rule = {
  id: 'requires-no-transaction',
  category: 'error',
  severity: 'error',
  message: 'This statement cannot run inside a transaction block',
  why: 'PostgreSQL rejects it with "cannot run inside a transaction block" (or "cannot be executed from a function" inside DO); the migration fails.',
  fix: 'Put it in its own migration marked "-- pgward:no-transaction" (and outside BEGIN/COMMIT and DO blocks).',
  examples: {
    bad: ['BEGIN;\nCREATE INDEX CONCURRENTLY i ON users(email);\nCOMMIT;'],
    good: ['-- pgward:no-transaction\nCREATE INDEX CONCURRENTLY i ON users(email);'],
  },
  cases: [
    {
      name: 'flagged example',
      sql: 'BEGIN;\nCREATE INDEX CONCURRENTLY i ON users(email);\nCOMMIT;',
      expect: [[2, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'fine example',
      sql: '-- pgward:no-transaction\nCREATE INDEX CONCURRENTLY i ON users(email);',
      migration: true,
      expect: [],
    },
    {
      name: 'reported on the line of its statement (after others)',
      sql: 'SELECT 1;\n\nBEGIN;\nCREATE INDEX CONCURRENTLY i ON users(email);\nCOMMIT;',
      expect: [[4, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'CONCURRENTLY in a transactional pgward migration',
      sql: '-- migrate:up\nCREATE INDEX CONCURRENTLY i ON users(email);',
      migration: true,
      expect: [[2, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'ALTER TYPE ADD VALUE in a transaction before PostgreSQL 12 (lock unknown to pgward: reported as SHARE UPDATE EXCLUSIVE)',
      sql: "BEGIN;\nALTER TYPE status ADD VALUE 'archived';\nCOMMIT;",
      pgVersion: '11',
      expect: [[2, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'ALTER TYPE ADD VALUE in a transaction from PostgreSQL 12',
      sql: "BEGIN;\nALTER TYPE status ADD VALUE 'archived';\nCOMMIT;",
      expect: [],
    },
    {
      name: 'VACUUM in a transactional migration',
      sql: '-- migrate:up\nVACUUM big_table;',
      migration: true,
      expect: [[2, 'SHARE UPDATE EXCLUSIVE']],
    },
  ],
  check(s, ctx) {
    if (!ctx.inTransaction) return [];
    const what = whatNeedsNoTx(s, ctx.pgVersion);
    if (!what) return [];
    const lock = statementLock(s);
    const where = s.inDo
      ? 'inside a DO block'
      : ctx.explicitTx
        ? 'inside BEGIN ... COMMIT'
        : 'in a migration that pgward wraps in a transaction';
    return [
      {
        lock: lock?.mode ?? 'SHARE UPDATE EXCLUSIVE',
        relation: lock?.relation ?? '?',
        message: `${what} cannot run ${where}`,
      },
    ];
  },
};
