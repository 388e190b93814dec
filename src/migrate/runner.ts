// Runs one migration (or its down section) against a connected client: inside a transaction with its
// history row, or statement by statement for `no-transaction` files; enforces statement_timeout,
// lock_timeout, the per-migration wall-clock limit, lock-timeout retries and cancellation.
import type pg from 'pg';
import { formatDuration } from '../config/duration.js';
import type { Policy } from '../config/target.js';
import { withClient } from '../db/connect.js';
import { pgErrorInfo, SQLSTATE } from '../db/pg-error.js';
import { lineColumn } from '../sql/split.js';
import type { MigrationFile } from './files.js';
import { recordApplied } from './history.js';
import { type PlannedStatement, shownPath } from './statements.js';

export type FailureReason =
  | 'error'
  | 'lock-timeout'
  | 'statement-timeout'
  | 'migration-timeout'
  | 'interrupted';

export interface MigrationFailure {
  version: string;
  name: string;
  file: string;
  line: number;
  column: number;
  statement: string;
  reason: FailureReason;
  code: string | undefined;
  message: string;
  detail: string | undefined;
  hint: string | undefined;
  attempts: number;
  /** For no-transaction files: how many statements had already run (and stay run). */
  statementsDone?: number;
}

export type RunnerEvent =
  | {
      type: 'lock-retry';
      version: string;
      attempt: number;
      of: number;
      waitMs: number;
      line: number;
      message: string;
    }
  | { type: 'statement'; version: string; line: number; sql: string };

export interface RunContext {
  client: pg.Client;
  url: string;
  backendPid: number;
  policy: Policy;
  /** Base delay before the first lock-timeout retry; doubles each attempt. */
  retryBackoffMs: number;
  signal: AbortSignal | undefined;
  onEvent: (e: RunnerEvent) => void;
}

class Cancelled extends Error {
  constructor(readonly reason: FailureReason) {
    super(reason);
  }
}

/** Asks the server to cancel whatever our backend runs (pg has no in-band cancel that we can await). */
async function cancelBackend(url: string, pid: number): Promise<void> {
  await withClient(url, (c) => c.query('SELECT pg_cancel_backend($1)', [pid]), {
    applicationName: 'pgward cancel',
  }).catch(() => {});
}

/**
 * Arms the cancellation sources for one attempt: SIGINT/SIGTERM (via signal) and migration_timeout.
 * `reason()` tells why a 57014 "query canceled" happened, if it was us.
 */
function armCancellation(ctx: RunContext) {
  let reason: FailureReason | undefined;
  const fire = (r: FailureReason) => {
    if (reason) return;
    reason = r;
    void cancelBackend(ctx.url, ctx.backendPid);
  };
  const onAbort = () => fire('interrupted');
  ctx.signal?.addEventListener('abort', onAbort);
  if (ctx.signal?.aborted) reason = 'interrupted';
  const timer =
    ctx.policy.migrationTimeoutMs !== null
      ? setTimeout(() => fire('migration-timeout'), ctx.policy.migrationTimeoutMs)
      : undefined;
  return {
    reason: () => reason,
    check: () => {
      if (reason) throw new Cancelled(reason);
    },
    disarm: () => {
      if (timer) clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
    },
  };
}

function timeoutSettings(policy: Policy): [string, string] {
  return [String(policy.statementTimeoutMs ?? 0), String(policy.lockTimeoutMs ?? 0)];
}

function failureOf(
  file: MigrationFile,
  stmt: PlannedStatement | undefined,
  err: unknown,
  cancelReason: FailureReason | undefined,
  attempts: number,
  policy: Policy,
): MigrationFailure {
  const info = pgErrorInfo(err);
  let reason: FailureReason = 'error';
  if (err instanceof Cancelled) reason = err.reason;
  else if (cancelReason && info.code === SQLSTATE.queryCanceled) reason = cancelReason;
  else if (info.code === SQLSTATE.lockNotAvailable) reason = 'lock-timeout';
  else if (info.code === SQLSTATE.queryCanceled && /statement timeout/.test(info.message))
    reason = 'statement-timeout';
  let line = stmt?.line ?? file.up.startLine;
  let column = stmt?.column ?? 1;
  if (stmt && info.position) {
    // PostgreSQL's position is 1-based within the statement text: point at the exact line.
    const lc = lineColumn(stmt.sql, info.position - 1);
    line = stmt.line + lc.line - 1;
    column = lc.line === 1 ? stmt.column + lc.column - 1 : lc.column;
  }
  const message =
    reason === 'migration-timeout'
      ? `migration exceeded migration_timeout (${formatDuration(policy.migrationTimeoutMs)}) and was cancelled`
      : reason === 'interrupted'
        ? 'interrupted by a signal; the running statement was cancelled'
        : reason === 'statement-timeout'
          ? `statement exceeded statement_timeout (${formatDuration(policy.statementTimeoutMs)})`
          : info.message;
  return {
    version: file.version,
    name: file.name,
    file: shownPath(file.path),
    line,
    column,
    statement: stmt?.sql ?? '',
    reason,
    code: err instanceof Cancelled ? undefined : info.code,
    message,
    detail: info.detail,
    hint: info.hint,
    attempts,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function backoff(ctx: RunContext, attempt: number): number {
  const base = Math.min(30_000, ctx.retryBackoffMs * 2 ** (attempt - 1));
  return Math.round(base * (1 + Math.random() * 0.2)); // jitter so two deployers do not retry in lockstep
}

export type RunOutcome =
  | { ok: true; durationMs: number; attempts: number }
  | { ok: false; failure: MigrationFailure };

/**
 * Runs statements in one transaction; `finish` runs inside it after the last statement (the history
 * insert or delete), so the migration and its record commit or roll back together.
 */
export async function runInTransaction(
  ctx: RunContext,
  file: MigrationFile,
  stmts: PlannedStatement[],
  finish: (client: pg.Client, durationMs: number) => Promise<void>,
): Promise<RunOutcome> {
  const maxAttempts = ctx.policy.lockRetries + 1;
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const cancel = armCancellation(ctx);
    let current: PlannedStatement | undefined;
    try {
      cancel.check();
      await ctx.client.query('BEGIN');
      const [st, lt] = timeoutSettings(ctx.policy);
      await ctx.client.query(
        "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
        [st, lt],
      );
      for (const stmt of stmts) {
        cancel.check();
        current = stmt;
        ctx.onEvent({ type: 'statement', version: file.version, line: stmt.line, sql: stmt.sql });
        await ctx.client.query(stmt.sql);
      }
      current = undefined;
      cancel.check();
      const durationMs = performance.now() - started;
      await finish(ctx.client, durationMs);
      await ctx.client.query('COMMIT');
      return { ok: true, durationMs, attempts: attempt };
    } catch (err) {
      await ctx.client.query('ROLLBACK').catch(() => {});
      const failure = failureOf(file, current, err, cancel.reason(), attempt, ctx.policy);
      if (failure.reason === 'lock-timeout' && attempt < maxAttempts) {
        const waitMs = backoff(ctx, attempt);
        ctx.onEvent({
          type: 'lock-retry',
          version: file.version,
          attempt,
          of: maxAttempts,
          waitMs,
          line: failure.line,
          message: failure.message,
        });
        cancel.disarm();
        await sleep(waitMs);
        if (ctx.signal?.aborted)
          return { ok: false, failure: { ...failure, reason: 'interrupted', attempts: attempt } };
        continue;
      }
      return { ok: false, failure };
    } finally {
      cancel.disarm();
    }
  }
}

/**
 * Runs a no-transaction migration statement by statement. Progress is recorded in
 * pgward.partial_migrations as it goes, so a crash or failure part-way is visible to `status`; the
 * history row is written only when every statement succeeded.
 */
export async function runWithoutTransaction(
  ctx: RunContext,
  file: MigrationFile,
  stmts: PlannedStatement[],
): Promise<RunOutcome> {
  const { client } = ctx;
  const started = performance.now();
  await client.query(
    `INSERT INTO pgward.partial_migrations (version, name, checksum, statements_total, statements_done)
     VALUES ($1, $2, $3, $4, 0)
     ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, statements_total = EXCLUDED.statements_total,
       statements_done = 0, failed_line = NULL, error = NULL, started_at = now()`,
    [file.version, file.name, file.checksum, stmts.length],
  );
  const [st, lt] = timeoutSettings(ctx.policy);
  await client.query(
    "SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false)",
    [st, lt],
  );
  const cancel = armCancellation(ctx);
  let done = 0;
  let attempts = 1;
  try {
    for (const stmt of stmts) {
      for (let attempt = 1; ; attempt++) {
        attempts = Math.max(attempts, attempt);
        try {
          cancel.check();
          ctx.onEvent({ type: 'statement', version: file.version, line: stmt.line, sql: stmt.sql });
          await client.query(stmt.sql);
          break;
        } catch (err) {
          const failure = failureOf(file, stmt, err, cancel.reason(), attempt, ctx.policy);
          // A single autocommitted statement that hit lock_timeout changed nothing: safe to retry.
          if (failure.reason === 'lock-timeout' && attempt <= ctx.policy.lockRetries) {
            const waitMs = backoff(ctx, attempt);
            ctx.onEvent({
              type: 'lock-retry',
              version: file.version,
              attempt,
              of: ctx.policy.lockRetries + 1,
              waitMs,
              line: stmt.line,
              message: failure.message,
            });
            await sleep(waitMs);
            continue;
          }
          throw Object.assign(new Error('statement failed'), { failure, stmt });
        }
      }
      done++;
      await client.query('UPDATE pgward.partial_migrations SET statements_done = $2 WHERE version = $1', [
        file.version,
        done,
      ]);
    }
    const durationMs = performance.now() - started;
    await client.query('BEGIN');
    await recordApplied(client, file, durationMs);
    await client.query('DELETE FROM pgward.partial_migrations WHERE version = $1', [file.version]);
    await client.query('COMMIT');
    return { ok: true, durationMs, attempts };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    const e = err as { failure?: MigrationFailure; stmt?: PlannedStatement };
    const failure = e.failure ?? failureOf(file, undefined, err, cancel.reason(), attempts, ctx.policy);
    failure.statementsDone = done;
    // Nothing ran and the failed statement was atomic: the database is as before, so leave no marker.
    // A failed CONCURRENTLY build is the exception: it leaves an INVALID index behind.
    if (done === 0 && !e.stmt?.concurrently) {
      await client
        .query('DELETE FROM pgward.partial_migrations WHERE version = $1', [file.version])
        .catch(() => {});
    } else {
      await client
        .query('UPDATE pgward.partial_migrations SET failed_line = $2, error = $3 WHERE version = $1', [
          file.version,
          failure.line,
          `${failure.code ? `${failure.code} ` : ''}${failure.message}`,
        ])
        .catch(() => {});
    }
    return { ok: false, failure };
  } finally {
    cancel.disarm();
    await client.query('RESET statement_timeout; RESET lock_timeout').catch(() => {});
  }
}

/** Runs statements one by one outside a transaction, without progress tracking (down sections of no-transaction files). */
export async function runAutocommit(
  ctx: RunContext,
  file: MigrationFile,
  stmts: PlannedStatement[],
): Promise<RunOutcome> {
  const started = performance.now();
  const [st, lt] = timeoutSettings(ctx.policy);
  await ctx.client.query(
    "SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false)",
    [st, lt],
  );
  const cancel = armCancellation(ctx);
  let current: PlannedStatement | undefined;
  let done = 0;
  try {
    for (const stmt of stmts) {
      cancel.check();
      current = stmt;
      ctx.onEvent({ type: 'statement', version: file.version, line: stmt.line, sql: stmt.sql });
      await ctx.client.query(stmt.sql);
      done++;
    }
    return { ok: true, durationMs: performance.now() - started, attempts: 1 };
  } catch (err) {
    const failure = failureOf(file, current, err, cancel.reason(), 1, ctx.policy);
    failure.statementsDone = done;
    return { ok: false, failure };
  } finally {
    cancel.disarm();
    await ctx.client.query('RESET statement_timeout; RESET lock_timeout').catch(() => {});
  }
}
