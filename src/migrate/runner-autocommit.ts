// Runs a `no-transaction` section statement by statement (CREATE INDEX CONCURRENTLY and friends cannot
// run inside a transaction), recording its progress so a failure part-way is visible and resumable.
import type pg from 'pg';
import { quoteIdent } from '../db/connect.js';
import type { MigrationFile } from '../files/migration-files.js';
import type { Direction } from './history.js';
import {
  announceRetry,
  armCancellation,
  execStatement,
  failureOf,
  type MigrationFailure,
  type RunContext,
  type RunOutcome,
  sleep,
  timeoutSettings,
} from './runner.js';
import type { PlannedStatement } from './statements.js';

type Cancellation = ReturnType<typeof armCancellation>;

/**
 * Runs a no-transaction section (a migration's up, or its down for a rollback) statement by statement.
 * Progress is recorded in pgward.partial_migrations, with its direction, as it goes, so a crash or
 * failure part-way is visible to `status`; the history changes (`finish`: insert the row for up, delete
 * it for down) only when every statement succeeded, in one transaction with the removal of the marker.
 */
export async function runWithoutTransaction(
  ctx: RunContext,
  file: MigrationFile,
  stmts: PlannedStatement[],
  finish: (client: pg.Client, durationMs: number) => Promise<void>,
  direction: Direction = 'up',
): Promise<RunOutcome> {
  const { client } = ctx;
  const started = performance.now();
  await markStarted(client, file, stmts.length, direction);
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
      attempts = Math.max(attempts, await runStatement(ctx, file, stmt, cancel, lt));
      done++;
      await client.query('UPDATE pgward.partial_migrations SET statements_done = $2 WHERE version = $1', [
        file.version,
        done,
      ]);
    }
    const durationMs = performance.now() - started;
    await client.query('BEGIN');
    await finish(client, durationMs);
    await client.query('DELETE FROM pgward.partial_migrations WHERE version = $1', [file.version]);
    await client.query('COMMIT');
    return { ok: true, durationMs, attempts };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    const e = err as { failure?: MigrationFailure; stmt?: PlannedStatement; attempts?: number };
    attempts = Math.max(attempts, e.attempts ?? 0);
    const failure = e.failure ?? failureOf(file, undefined, err, cancel.reason(), attempts, ctx.policy);
    failure.statementsDone = done;
    await markFailed(client, file, failure, done, e.stmt);
    return { ok: false, failure };
  } finally {
    cancel.disarm();
    await client.query('RESET statement_timeout; RESET lock_timeout').catch(() => {});
  }
}

async function markStarted(client: pg.Client, file: MigrationFile, total: number, direction: Direction) {
  await client.query(
    `INSERT INTO pgward.partial_migrations (version, name, checksum, statements_total, statements_done, direction)
     VALUES ($1, $2, $3, $4, 0, $5)
     ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, statements_total = EXCLUDED.statements_total,
       statements_done = 0, failed_line = NULL, error = NULL, started_at = now(), direction = EXCLUDED.direction`,
    [file.version, file.name, file.checksum, total, direction],
  );
}

/**
 * One autocommitted statement, retried after a lock timeout (it changed nothing, so a retry is safe).
 * Returns the attempts it took; throws an error carrying the failure, the statement and the attempts.
 */
async function runStatement(
  ctx: RunContext,
  file: MigrationFile,
  stmt: PlannedStatement,
  cancel: Cancellation,
  lt: string,
): Promise<number> {
  const concurrentLt = String(ctx.policy.concurrentLockTimeoutMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    try {
      cancel.check();
      if (stmt.index) await dropInvalidIndex(ctx, file, stmt, stmt.index);
      ctx.onEvent({ type: 'statement', version: file.version, line: stmt.line, sql: stmt.sql });
      // CONCURRENTLY waits for every older transaction: a short lock_timeout would make it fail on
      // any busy database, so it gets its own, longer one.
      if (stmt.concurrently)
        await ctx.client.query("SELECT set_config('lock_timeout', $1, false)", [concurrentLt]);
      try {
        await execStatement(ctx, stmt);
      } finally {
        if (stmt.concurrently) await ctx.client.query("SELECT set_config('lock_timeout', $1, false)", [lt]);
      }
      return attempt;
    } catch (err) {
      const failure = failureOf(file, stmt, err, cancel.reason(), attempt, ctx.policy);
      if (failure.reason === 'lock-timeout' && attempt <= ctx.policy.lockRetries) {
        const retry = { attempt, of: ctx.policy.lockRetries + 1, line: stmt.line, message: failure.message };
        await sleep(announceRetry(ctx, file, retry));
        continue;
      }
      throw Object.assign(new Error('statement failed'), { failure, stmt, attempts: attempt });
    }
  }
}

/**
 * Nothing ran and the failed statement was atomic: the database is as before, so no marker is left.
 * A failed CONCURRENTLY build is the exception: it leaves an INVALID index behind.
 */
async function markFailed(
  client: pg.Client,
  file: MigrationFile,
  failure: MigrationFailure,
  done: number,
  stmt: PlannedStatement | undefined,
): Promise<void> {
  if (done === 0 && !stmt?.concurrently) {
    await client
      .query('DELETE FROM pgward.partial_migrations WHERE version = $1', [file.version])
      .catch(() => {});
    return;
  }
  await client
    .query('UPDATE pgward.partial_migrations SET failed_line = $2, error = $3 WHERE version = $1', [
      file.version,
      failure.line,
      `${failure.code ? `${failure.code} ` : ''}${failure.message}`,
    ])
    .catch(() => {});
}

/**
 * A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind, and IF NOT EXISTS would then skip
 * the build: drop such a leftover (only if invalid) before the attempt.
 */
async function dropInvalidIndex(
  ctx: RunContext,
  file: MigrationFile,
  stmt: PlannedStatement,
  index: { name: string; schema: string | undefined },
): Promise<void> {
  const res = await ctx.client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND NOT i.indisvalid
        AND (n.nspname = $2 OR ($2::text IS NULL AND pg_catalog.pg_table_is_visible(c.oid)))`,
    [index.name, index.schema ?? null],
  );
  const found = res.rows[0];
  if (!found) return;
  await ctx.client.query(
    `DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(found.schema)}.${quoteIdent(found.name)}`,
  );
  ctx.onEvent({
    type: 'invalid-index-dropped',
    version: file.version,
    line: stmt.line,
    index: `${found.schema}.${found.name}`,
  });
}
