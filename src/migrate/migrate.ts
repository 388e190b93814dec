// `pgward migrate`: applies the pending migrations under the migration lock, each in its own transaction
// (or statement by statement for no-transaction files), after the gate planOnClient shares with
// `pgward plan` and the dry run.
import type pg from 'pg';
import { type ProjectOptions, type ResolvedProject, resolveProject } from '../config/project.js';
import { connect } from '../db/connect.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { loadMigrations, type MigrationFile } from '../files/migration-files.js';
import { type IdentitySummary, summaryOf } from '../identity/identify.js';
import { redactUrl } from '../redact.js';
import { ensureParser } from '../sql/parser.js';
import { closeEarly, type EarlyConnections, RUNNER_CONNECTION } from './early-connect.js';
import type { MigrationGate } from './gate.js';
import { recordApplied } from './history.js';
import { type LockHolder, unlock } from './lock.js';
import {
  assertToIsAFile,
  type PlanEvent,
  type PlannedMigration,
  planOnClient,
  type RunSelection,
} from './planning.js';
import { backupFirst, pauseForWarnings } from './preflight.js';
import {
  createRunContext,
  type MigrationFailure,
  type RunnerEvent,
  runInTransaction,
  type StatementTracer,
} from './runner.js';
import { runWithoutTransaction } from './runner-autocommit.js';
import { type LockState, openRunSession } from './session.js';

export type { PlannedMigration } from './planning.js';

/** Starts compiling the SQL parser the gate needs (a caller with time to spare, e.g. while it connects). */
export function warmParser(): void {
  ensureParser().catch(() => {});
}

/**
 * Where to migrate (ProjectOptions: `url`/`env`/`dir`/`config` like the CLI flags, or a resolved
 * `target` + `source`), which migrations (RunSelection), and how to run them.
 */
export interface MigrateOptions extends ProjectOptions, RunSelection {
  /** Print what would run; touches nothing (no lock, no history schema). */
  dryRun?: boolean | undefined;
  /** How long to wait for another run's lock (ms). Default 60 000. */
  lockWaitMs?: number | undefined;
  /** Delay before the first lock-timeout retry (ms), doubling each time. */
  retryBackoffMs?: number | undefined;
  /** Aborting stops the run between statements (exit code 130); what was applied stays applied. */
  signal?: AbortSignal | undefined;
  onEvent?: ((e: MigrateEvent) => void) | undefined;
  /**
   * Asked when the gate blocks approvable migrations (the CLI asks on a TTY for the version to be typed):
   * returns the versions the person approved.
   */
  askApproval?: ((blocked: MigrationGate[]) => Promise<string[]>) | undefined;
  /** Skip the gate entirely (library use, tests of the runner). The CLI has no such flag. */
  skipGate?: boolean | undefined;
  /** Observes every statement on the runner's connection (used by `rehearse` to trace locks). */
  tracer?: StatementTracer | undefined;
  /**
   * The database is a throwaway copy (rehearse): it is not identified as any environment, never stamped,
   * and never backed up, so nothing of it can reach an environment's backup catalog.
   */
  throwaway?: boolean | undefined;
  /**
   * Connections to the target's URL the caller started opening ahead (connectEarly; the CLI does while
   * its modules load). Adopted: migrate closes them, whatever happens.
   */
  connections?: EarlyConnections | undefined;
}

export type MigrateEvent =
  | RunnerEvent
  | PlanEvent
  | { type: 'lock-wait'; holder: LockHolder | undefined }
  | { type: 'start'; version: string; name: string; transaction: boolean }
  | { type: 'applied'; version: string; name: string; durationMs: number; attempts: number }
  | { type: 'failed'; failure: MigrationFailure };

export interface MigrateResult {
  env: string | undefined;
  /** Which database was reached and which environments it was identified as (and how). */
  identity?: IdentitySummary | undefined;
  database: string;
  dryRun: boolean;
  /** What was (or, in a dry run, would be) applied, in order. */
  planned: PlannedMigration[];
  applied: { version: string; name: string; durationMs: number; attempts: number }[];
  /** The gate decision for every migration of the run. */
  gates: MigrationGate[];
  /** Migrations that stop (or, in a dry run, would stop) the run at the gate (exit code 6). */
  blocked: MigrationGate[];
  /** Id of the backup taken before the first migration (policy `backup_before_migrate`). */
  backupId: string | undefined;
  failure: MigrationFailure | undefined;
  exitCode: ExitCodeValue;
}

/**
 * What `pgward migrate` does: applies the pending migrations under the migration lock, each in its own
 * transaction (no-transaction files statement by statement), after the gate `planMigrations` shows.
 * Defaults like the CLI: pgward.yaml discovered from the working directory, migrations in db/migrations.
 * Throws PgwardError when it cannot or will not start; returns the outcome otherwise (`failure` when a
 * migration failed, `blocked` + exitCode 6 when the gate stopped the run, exitCode 130 when interrupted).
 *
 * @example
 * ```ts
 * import { migrate } from 'pgward';
 * const result = await migrate({ url: process.env.DATABASE_URL, dir: 'db/migrations' });
 * if (result.failure) console.error(result.failure.file, result.failure.line, result.failure.message);
 * else console.log(`applied ${result.applied.length}`);
 * ```
 */
export async function migrate(given: MigrateOptions): Promise<MigrateResult> {
  const early = given.connections;
  let client: pg.Client;
  let opts: MigrateOptions & ResolvedProject;
  let parserReady: Promise<void>;
  let files: MigrationFile[];
  try {
    opts = await resolveProject(given);
    files = loadMigrations(opts.source.dir).files;
    assertToIsAFile(files, opts.to);
    // The parser's WebAssembly compiles while we connect, lock and read the history.
    parserReady = ensureParser();
    parserReady.catch(() => {});
    client = await (early?.session ?? connect(opts.target.url, RUNNER_CONNECTION));
  } catch (err) {
    await closeEarly(early);
    throw err;
  }
  const emit = opts.onEvent ?? (() => {});
  const lock: LockState = { locked: false };
  let probe = early?.probe;
  const closeProbe = async () => {
    const p = probe;
    probe = undefined;
    await p?.then((c) => c.end()).catch(() => {});
  };
  try {
    opts = await openRunSession(client, { ...opts, probe: early?.probe }, 'migrate', lock, (holder) =>
      emit({ type: 'lock-wait', holder }),
    );
    // The probe's client has done its work (or was never needed): not kept open for the run.
    await closeProbe();
    // The same planning `pgward plan` does: what the dry run shows is what the real run does.
    const plan = await planOnClient(
      client,
      files,
      { ...opts, dryRun: opts.dryRun === true, skipGate: opts.skipGate === true },
      parserReady,
      emit,
    );
    const { planned } = plan;
    const toRun = planned.map((p) => files.find((f) => f.version === p.version)!);
    const base: RunSoFar = {
      env: opts.target.env,
      database: redactUrl(opts.target.url),
      identity: summaryOf(opts.target),
      planned,
      applied: [],
      gates: plan.gates,
      blocked: plan.blocked,
      backupId: undefined,
      failure: undefined,
    };
    // A dry run tells what the real run would do: a run the gate stops is not "ok".
    if (plan.blocked.length) return { ...base, dryRun: opts.dryRun === true, exitCode: ExitCode.gateBlocked };
    if (opts.dryRun) return { ...base, dryRun: true, exitCode: ExitCode.ok };
    if (!opts.skipGate && !(await pauseForWarnings(plan.gates, opts.signal, emit)))
      return { ...base, dryRun: false, exitCode: ExitCode.interrupted };
    if (opts.target.policy.backupBeforeMigrate && toRun.length > 0 && !opts.throwaway) {
      base.backupId = await backupFirst(opts, 'up', emit);
    }
    return await applyInOrder(client, toRun, planned, opts, base, emit);
  } finally {
    await closeProbe();
    if (lock.locked) await unlock(client).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** What a run has found and done so far; every result (early or final) is this plus how it ended. */
type RunSoFar = Omit<MigrateResult, 'dryRun' | 'exitCode'>;

/** Applies the planned files in order, each recorded with its approval; stops at the first failure. */
async function applyInOrder(
  client: pg.Client,
  toRun: MigrationFile[],
  planned: PlannedMigration[],
  opts: MigrateOptions & ResolvedProject,
  base: RunSoFar,
  emit: (e: MigrateEvent) => void,
): Promise<MigrateResult> {
  const approvalOf = new Map(base.gates.filter((g) => g.approval).map((g) => [g.version, g.approval]));

  const ctx = await createRunContext(client, opts.target, {
    retryBackoffMs: opts.retryBackoffMs,
    signal: opts.signal,
    onEvent: emit,
    tracer: opts.tracer,
  });
  for (let i = 0; i < toRun.length; i++) {
    const file = toRun[i]!;
    const plan = planned[i]!;
    if (opts.signal?.aborted) {
      return { ...base, dryRun: false, exitCode: ExitCode.interrupted };
    }
    emit({ type: 'start', version: file.version, name: file.name, transaction: file.transaction });
    const outcome = file.transaction
      ? await runInTransaction(ctx, file, plan.statements, (c, ms) =>
          recordApplied(c, file, ms, approvalOf.get(file.version)),
        )
      : await runWithoutTransaction(ctx, file, plan.statements, (c, ms) =>
          recordApplied(c, file, ms, approvalOf.get(file.version)),
        );
    if (!outcome.ok) {
      emit({ type: 'failed', failure: outcome.failure });
      const exitCode = outcome.failure.reason === 'interrupted' ? ExitCode.interrupted : ExitCode.runtime;
      return { ...base, dryRun: false, failure: outcome.failure, exitCode };
    }
    const applied = {
      version: file.version,
      name: file.name,
      durationMs: Math.round(outcome.durationMs),
      attempts: outcome.attempts,
    };
    base.applied.push(applied);
    emit({ type: 'applied', ...applied });
  }
  return { ...base, dryRun: false, exitCode: ExitCode.ok };
}
