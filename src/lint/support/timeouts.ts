// Shared by require-lock-timeout and require-statement-timeout: which statements need a timeout.
// Reported once per file (at the first such statement), not on every statement after it.
import { tableKey } from '../ast.js';
import { statementLock, type TakenLock } from '../locks.js';
import type { LockMode, RuleContext, Stmt } from '../types.js';

const STRONG: ReadonlySet<LockMode> = new Set([
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
]);

function strongLock(s: Stmt, ctx: RuleContext): TakenLock | undefined {
  const lock = statementLock(s);
  if (!lock || !STRONG.has(lock.mode) || ctx.isNew(tableKey(lock.relation))) return undefined;
  return lock;
}

const first = new WeakMap<readonly Stmt[], number>();

/** The lock of a statement that queues behind (and in front of) other sessions, on an existing table. */
export function lockNeedingTimeout(s: Stmt, ctx: RuleContext): TakenLock | undefined {
  if (ctx.pgwardRunner) return undefined; // pgward sets lock_timeout and statement_timeout itself
  const lock = strongLock(s, ctx);
  if (!lock) return undefined;
  let at = first.get(ctx.statements);
  if (at === undefined || at > ctx.index) {
    at = ctx.index;
    first.set(ctx.statements, at);
  }
  return at === ctx.index ? lock : undefined;
}
