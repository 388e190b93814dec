// Runs one migration (or its down section) against a connected client: inside a transaction with its
// history row, or statement by statement for `no-transaction` files; enforces statement_timeout,
// lock_timeout, the per-migration wall-clock limit, lock-timeout retries and cancellation.
import type pg from 'pg';
import { formatDuration } from '../config/duration.js';
import type { Policy } from '../config/target.js';
import { corked, withClient } from '../db/connect.js';
import { pgErrorInfo, SQLSTATE } from '../db/pg-error.js';
import type { MigrationFile } from '../files/migration-files.js';
import { lineColumn } from '../sql/split.js';
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
  | { type: 'statement'; version: string; line: number; sql: string }
  | { type: 'invalid-index-dropped'; version: string; line: number; index: string };

/**
 * Observes each migration statement on the runner's own connection (rehearsals trace locks and
 * rewrites with it). `around` must call `run()` exactly once and return its result; it runs inside the
 * migration's transaction when there is one, so extra queries on `client` see that transaction.
 */
export interface StatementTracer {
  around(
    stmt: PlannedStatement,
    run: () => Promise<unknown>,
    client: pg.Client,
    backendPid: number,
  ): Promise<unknown>;
  /** After the COMMIT or ROLLBACK that ends a migration's transaction. */
  transactionEnd?(committed: boolean): void;
}

export interface RunContext {
  client: pg.Client;
  url: string;
  backendPid: number;
  policy: Policy;
  /** Base delay before the first lock-timeout retry; doubles each attempt. */
  retryBackoffMs: number;
  signal: AbortSignal | undefined;
  onEvent: (e: RunnerEvent) => void;
  tracer?: StatementTracer | undefined;
}

/** Runs one statement, through the tracer when there is one. */
export function execStatement(ctx: RunContext, stmt: PlannedStatement): Promise<unknown> {
  const run = () => ctx.client.query(stmt.sql);
  return ctx.tracer ? ctx.tracer.around(stmt, run, ctx.client, ctx.backendPid) : run();
}

/** The context for running migrations on a connected client (the backend pid is what a cancel targets). */
export async function createRunContext(
  client: pg.Client,
  target: { url: string; policy: Policy },
  opts: {
    retryBackoffMs?: number | undefined;
    signal?: AbortSignal | undefined;
    onEvent: (e: RunnerEvent) => void;
    tracer?: StatementTracer | undefined;
  },
): Promise<RunContext> {
  // pg reads the backend's pid from the BackendKeyData message at connect time: no round trip needed.
  const known = (client as unknown as { processID?: number }).processID;
  const pid =
    typeof known === 'number' && known > 0
      ? known
      : (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return {
    client,
    url: target.url,
    backendPid: pid,
    policy: target.policy,
    retryBackoffMs: opts.retryBackoffMs ?? target.policy.lockRetryBackoffMs,
    signal: opts.signal,
    onEvent: opts.onEvent,
    tracer: opts.tracer,
  };
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
export function armCancellation(ctx: RunContext) {
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

export function timeoutSettings(policy: Policy): [string, string] {
  return [String(policy.statementTimeoutMs ?? 0), String(policy.lockTimeoutMs ?? 0)];
}

export function failureOf(
  file: MigrationFile,
  stmt: PlannedStatement | undefined,
  err: unknown,
  cancelReason: FailureReason | undefined,
  attempts: number,
  policy: Policy,
  /** Characters sent before the statement in the same query (the BEGIN/SET prefix). */
  sentOffset = 0,
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
  if (stmt && info.position && info.position > sentOffset) {
    // PostgreSQL's position is 1-based within the query text: point at the exact line.
    const lc = lineColumn(stmt.sql, info.position - 1 - sentOffset);
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function backoff(ctx: RunContext, attempt: number): number {
  const base = Math.min(30_000, ctx.retryBackoffMs * 2 ** (attempt - 1));
  return Math.round(base * (1 + Math.random() * 0.2)); // jitter so two deployers do not retry in lockstep
}

export type RunOutcome =
  | { ok: true; durationMs: number; attempts: number }
  | { ok: false; failure: MigrationFailure };

/**
 * Announces a retry after a lock timeout and returns how long to wait first (exponential backoff with
 * jitter, so two deployers do not retry in lockstep).
 */
export function announceRetry(
  ctx: RunContext,
  file: MigrationFile,
  retry: { attempt: number; of: number; line: number; message: string },
): number {
  const waitMs = backoff(ctx, retry.attempt);
  const { attempt, of, line, message } = retry;
  // Field order as the event always had it (events are serialised by callers).
  ctx.onEvent({ type: 'lock-retry', version: file.version, attempt, of, waitMs, line, message });
  return waitMs;
}

/** Which statement was in flight, and where its text starts in what was sent (for error positions). */
interface InFlight {
  current: PlannedStatement | undefined;
  sentOffset: number;
}

type Finish = (client: pg.Client, durationMs: number | null) => Promise<void>;

/**
 * Runs statements in one transaction; `finish` runs inside it after the last statement (the history
 * insert or delete), so the migration and its record commit or roll back together.
 */
export async function runInTransaction(
  ctx: RunContext,
  file: MigrationFile,
  stmts: PlannedStatement[],
  /** Writes (or deletes) the history row inside the transaction; durationMs null = measure it server-side. */
  finish: Finish,
): Promise<RunOutcome> {
  const maxAttempts = ctx.policy.lockRetries + 1;
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const cancel = armCancellation(ctx);
    const at: InFlight = { current: undefined, sentOffset: 0 };
    try {
      cancel.check();
      // One round trip opens the transaction, sets its limits and runs the first statement: the
      // prefix cannot fail, so an error is still the user's statement's. (Integers only: no quoting needed.)
      const [st, lt] = timeoutSettings(ctx.policy);
      const prefix = `BEGIN; SET LOCAL statement_timeout = ${Number(st)}; SET LOCAL lock_timeout = ${Number(lt)}`;
      const durationMs = ctx.tracer
        ? await runTraced(ctx, file, stmts, prefix, finish, cancel, at, started)
        : await runPipelined(ctx, file, stmts, prefix, finish, at, started);
      return { ok: true, durationMs, attempts: attempt };
    } catch (err) {
      await ctx.client.query('ROLLBACK').catch(() => {});
      ctx.tracer?.transactionEnd?.(false);
      const failure = failureOf(file, at.current, err, cancel.reason(), attempt, ctx.policy, at.sentOffset);
      if (failure.reason === 'lock-timeout' && attempt < maxAttempts) {
        const retry = { attempt, of: maxAttempts, line: failure.line, message: failure.message };
        const waitMs = announceRetry(ctx, file, retry);
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
 * The whole migration goes out at once (the client pipelines): BEGIN with the first statement, the
 * others, the history row and COMMIT — one round trip instead of one per statement. The server still
 * runs them in order inside one transaction: the first failure aborts it, every later query fails with
 * 25P02 and the COMMIT becomes a ROLLBACK, so the first rejected query is exactly the failing statement
 * and nothing is half-applied or half-recorded.
 */
async function runPipelined(
  ctx: RunContext,
  file: MigrationFile,
  stmts: PlannedStatement[],
  prefix: string,
  finish: Finish,
  at: InFlight,
  started: number,
): Promise<number> {
  const sends = corked(ctx.client, () => {
    const queued: Promise<unknown>[] = stmts.map((stmt, i) => {
      ctx.onEvent({ type: 'statement', version: file.version, line: stmt.line, sql: stmt.sql });
      return ctx.client.query(i === 0 ? `${prefix};\n${stmt.sql}` : stmt.sql);
    });
    if (stmts.length === 0) queued.push(ctx.client.query(prefix));
    queued.push(finish(ctx.client, null), ctx.client.query('COMMIT'));
    return queued;
  });
  const results = await Promise.allSettled(sends);
  const failedAt = results.findIndex((r) => r.status === 'rejected');
  if (failedAt !== -1) {
    at.current = stmts[failedAt];
    at.sentOffset = failedAt === 0 && stmts.length > 0 ? prefix.length + 2 : 0;
    throw (results[failedAt] as PromiseRejectedResult).reason;
  }
  return performance.now() - started;
}

/** With a tracer, the prefix goes alone and each statement on its own, so the tracer sees each inside the transaction. */
async function runTraced(
  ctx: RunContext,
  file: MigrationFile,
  stmts: PlannedStatement[],
  prefix: string,
  finish: Finish,
  cancel: ReturnType<typeof armCancellation>,
  at: InFlight,
  started: number,
): Promise<number> {
  await ctx.client.query(prefix);
  for (const stmt of stmts) {
    cancel.check();
    at.current = stmt;
    ctx.onEvent({ type: 'statement', version: file.version, line: stmt.line, sql: stmt.sql });
    await execStatement(ctx, stmt);
  }
  at.current = undefined;
  cancel.check();
  const durationMs = performance.now() - started;
  // The history row and COMMIT go out together (the client pipelines); if the insert fails, the
  // COMMIT of the aborted transaction rolls it back, so nothing is half-recorded.
  const results = await Promise.allSettled([finish(ctx.client, durationMs), ctx.client.query('COMMIT')]);
  const failed = results.find((r) => r.status === 'rejected');
  ctx.tracer?.transactionEnd?.(!failed);
  if (failed) throw failed.reason;
  return durationMs;
}
