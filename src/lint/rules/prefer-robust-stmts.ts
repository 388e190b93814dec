import { relName, str } from '../ast.js';
import { statementLock } from '../locks.js';
import { cmdsOf } from '../support/helpers.js';
import type { Hit, Rule } from '../types.js';

// Outside a transaction a failure half-way leaves earlier statements applied; a retry then fails on
// them unless they are idempotent (squawk prefer-robust-stmts). Inside a transaction it is moot.
export const rule: Rule = {
  id: 'prefer-robust-stmts',
  category: 'robustness',
  severity: 'warning',
  message: 'Statement outside a transaction is not idempotent: a retry after a partial failure fails',
  why: 'In a no-transaction migration the statements before a failure stay applied; rerunning the migration fails on them.',
  fix: 'Use IF NOT EXISTS / IF EXISTS (for CREATE INDEX CONCURRENTLY also drop a leftover INVALID index first).',
  examples: {
    bad: ['-- pgward:no-transaction\nCREATE INDEX CONCURRENTLY i ON users(email);'],
    good: [
      '-- pgward:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON users(email);',
      'CREATE INDEX i ON users(email);',
    ],
  },
  cases: [
    {
      name: 'flagged example',
      sql: '-- pgward:no-transaction\nCREATE INDEX CONCURRENTLY i ON users(email);',
      migration: true,
      expect: [[2, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'fine example 1',
      sql: '-- pgward:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON users(email);',
      migration: true,
      expect: [],
    },
    { name: 'fine example 2', sql: 'CREATE INDEX i ON users(email);', expect: [] },
    {
      name: 'reported on the line of its statement (after others)',
      sql: '-- pgward:no-transaction\nSELECT 1;\n\nCREATE INDEX CONCURRENTLY i ON users(email);',
      migration: true,
      expect: [[4, 'SHARE UPDATE EXCLUSIVE']],
    },
    {
      name: 'in a pgward migration (retried as a whole)',
      sql: '-- migrate:up\nCREATE INDEX CONCURRENTLY i ON users(email);',
      migration: true,
      expect: [],
    },
    {
      name: 'a one-statement script is exempt (nothing before it to make a retry fail)',
      sql: 'DROP INDEX CONCURRENTLY users_email_idx;',
      expect: [],
    },
    {
      name: 'DROP INDEX without IF EXISTS in a longer script',
      sql: "SET lock_timeout = '1s';\nDROP INDEX CONCURRENTLY users_email_idx;",
      expect: [[2, 'SHARE UPDATE EXCLUSIVE']],
    },
  ],
  kinds: ['IndexStmt', 'CreateStmt', 'DropStmt', 'AlterTableStmt'],
  subtypes: ['AT_AddColumn', 'AT_DropColumn', 'AT_DropConstraint'],
  check(s, ctx) {
    if (ctx.inTransaction || (!ctx.pgwardRunner && ctx.statements.length <= 1)) return [];
    const hit = (what: string): Hit => ({
      lock: statementLock(s)?.mode ?? 'ACCESS EXCLUSIVE',
      relation: statementLock(s)?.relation ?? '?',
      message: `${what}: a retry fails if it already ran`,
    });
    if (s.kind === 'IndexStmt' && s.body.if_not_exists !== true)
      return [hit(`CREATE INDEX ${str(s.body.idxname) ?? ''} without IF NOT EXISTS`)];
    if (s.kind === 'CreateStmt' && s.body.if_not_exists !== true)
      return [hit(`CREATE TABLE ${relName(s.body.relation)} without IF NOT EXISTS`)];
    if (s.kind === 'DropStmt' && s.body.missing_ok !== true) return [hit('DROP without IF EXISTS')];
    const bad = cmdsOf(s).filter(
      (c) =>
        (c.subtype === 'AT_AddColumn' ||
          c.subtype === 'AT_DropColumn' ||
          c.subtype === 'AT_DropConstraint') &&
        c.cmd.missing_ok !== true,
    );
    return bad.length
      ? [hit(`ALTER TABLE ${bad[0]!.table} ${bad[0]!.subtype.replace('AT_', '')} without IF [NOT] EXISTS`)]
      : [];
  },
};
