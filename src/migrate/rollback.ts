// `pgward rollback`: runs down sections newest first, each atomically with the removal of its history
// row. Every target is checked before the first one runs: a missing down section refuses the whole run.
import type { LoadedConfig } from '../config/load.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { appName, connect } from '../db/connect.js';
import { ExitCode, type ExitCodeValue, PgwardError, UsageError } from '../errors.js';
import { identifyForWrite } from '../identity/identify.js';
import { redactUrl } from '../redact.js';
import { ensureParser } from '../sql/parser.js';
import { compareVersions, hasDown, loadMigrations } from './files.js';
import { ensureHistory, readApplied } from './history.js';
import { acquireMigrationLock, unlock } from './lock.js';
import {
  createRunContext,
  type MigrationFailure,
  type RunnerEvent,
  runAutocommit,
  runInTransaction,
} from './runner.js';
import { planSection, shownPath } from './statements.js';
import { assertPgwardRunner, resolveFramework } from './status.js';

export interface RollbackOptions {
  target: Target;
  /** pgward.yaml: its environments are probed to identify the database reached (any URL spelling). */
  config?: LoadedConfig | undefined;
  source: MigrationsSource;
  /** Roll back this many of the newest applied migrations (default 1). */
  steps?: number | undefined;
  /** Roll back every applied migration newer than this version (exclusive). */
  to?: string | undefined;
  allowDrift?: boolean | undefined;
  dryRun?: boolean | undefined;
  lockWaitMs?: number | undefined;
  retryBackoffMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((e: RollbackEvent) => void) | undefined;
}

export type RollbackEvent =
  | RunnerEvent
  | { type: 'start'; version: string; name: string }
  | { type: 'rolled-back'; version: string; name: string; durationMs: number }
  | { type: 'failed'; failure: MigrationFailure };

export interface RollbackResult {
  env: string | undefined;
  database: string;
  dryRun: boolean;
  planned: { version: string; name: string; file: string }[];
  rolledBack: { version: string; name: string; durationMs: number }[];
  failure: MigrationFailure | undefined;
  exitCode: ExitCodeValue;
}

export async function rollback(given: RollbackOptions): Promise<RollbackResult> {
  let opts = given;
  if (opts.steps !== undefined && opts.to !== undefined)
    throw new UsageError('use either --steps or --to, not both');
  const steps = opts.steps ?? (opts.to === undefined ? 1 : undefined);
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1))
    throw new UsageError('--steps must be a positive integer');
  const { files } = loadMigrations(opts.source.dir);
  const byVersion = new Map(files.map((f) => [f.version, f]));
  await ensureParser();
  const client = await connect(opts.target.url, { applicationName: appName('rollback'), pipeline: true });
  let locked = false;
  try {
    // Gate, policy and stamp follow the database actually reached, not the URL's spelling.
    opts = { ...opts, target: await identifyForWrite(client, opts.target, opts) };
    assertPgwardRunner(await resolveFramework(opts.source, client), 'rollback');
    if (!opts.dryRun) {
      await acquireMigrationLock(client, { waitMs: opts.lockWaitMs ?? 60_000, signal: opts.signal });
      locked = true;
      await ensureHistory(client);
    }
    const applied = (await readApplied(client)).sort((a, b) => compareVersions(b.version, a.version));
    if (opts.to !== undefined && !applied.some((a) => a.version === opts.to) && opts.to !== '0') {
      throw new UsageError(`--to ${opts.to}: that version is not applied`, 'use 0 to roll back everything');
    }
    const chosen =
      steps !== undefined
        ? applied.slice(0, steps)
        : applied.filter((a) => compareVersions(a.version, opts.to!) > 0);
    const plans = chosen.map((a) => {
      const file = byVersion.get(a.version);
      if (!file) {
        throw new PgwardError(`cannot roll back ${a.version}_${a.name}: its file is gone`, {
          hint: 'restore the file from version control; nothing was rolled back',
        });
      }
      if (!hasDown(file)) {
        throw new PgwardError(`cannot roll back ${shownPath(file.path)}: it has no down section`, {
          hint: 'add a "-- migrate:down" section with the SQL that undoes it; nothing was rolled back',
        });
      }
      if (file.checksum !== a.checksum && !opts.allowDrift) {
        throw new PgwardError(
          `${shownPath(file.path)} changed since it was applied: its down section may not match`,
          {
            exitCode: ExitCode.drift,
            hint: 'restore the original file, or pass --allow-drift; nothing was rolled back',
          },
        );
      }
      return { file, statements: planSection(file, file.down!, 'down') };
    });
    const base = {
      env: opts.target.env,
      database: redactUrl(opts.target.url),
      planned: plans.map((p) => ({
        version: p.file.version,
        name: p.file.name,
        file: shownPath(p.file.path),
      })),
      rolledBack: [] as RollbackResult['rolledBack'],
      failure: undefined as MigrationFailure | undefined,
    };
    if (opts.dryRun) return { ...base, dryRun: true, exitCode: ExitCode.ok };
    const emit = opts.onEvent ?? (() => {});
    const ctx = await createRunContext(client, opts.target, {
      retryBackoffMs: opts.retryBackoffMs,
      signal: opts.signal,
      onEvent: emit,
    });
    for (const { file, statements } of plans) {
      emit({ type: 'start', version: file.version, name: file.name });
      const forget = async () => {
        await client.query('DELETE FROM pgward.migrations WHERE version = $1', [file.version]);
      };
      // A no-transaction file's down section may hold CONCURRENTLY statements: run it the same way.
      const outcome = file.transaction
        ? await runInTransaction(ctx, file, statements, forget)
        : await runAutocommit(ctx, file, statements);
      if (outcome.ok && !file.transaction) await forget();
      if (!outcome.ok) {
        emit({ type: 'failed', failure: outcome.failure });
        const exitCode = outcome.failure.reason === 'interrupted' ? ExitCode.interrupted : ExitCode.runtime;
        return { ...base, dryRun: false, failure: outcome.failure, exitCode };
      }
      const done = { version: file.version, name: file.name, durationMs: Math.round(outcome.durationMs) };
      base.rolledBack.push(done);
      emit({ type: 'rolled-back', ...done });
    }
    return { ...base, dryRun: false, exitCode: ExitCode.ok };
  } finally {
    if (locked) await unlock(client).catch(() => {});
    await client.end().catch(() => {});
  }
}
