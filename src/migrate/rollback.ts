// `pgward rollback`: runs down sections newest first, each atomically with the removal of its history
// row. Every target is checked before the first one runs: a missing down section refuses the whole run.
// A rollback is a change to the database like any migration: it passes the same gate (its down
// sections are linted; destructive ones need an approval where the policy blocks them), the same pause
// and the same pre-change backup, and a no-transaction down section that stops part-way is recorded as
// a partial rollback rather than silently leaving the migration "applied".
import type pg from 'pg';
import { type ProjectOptions, type ResolvedProject, resolveProject } from '../config/project.js';
import { appName, connect } from '../db/connect.js';
import { ExitCode, type ExitCodeValue, PgwardError, UsageError } from '../errors.js';
import { compareVersions, hasDown, loadMigrations, type MigrationFile } from '../files/migration-files.js';
import { type IdentitySummary, summaryOf } from '../identity/identify.js';
import { redactUrl } from '../redact.js';
import { ensureParser } from '../sql/parser.js';
import type { MigrationGate } from './gate.js';
import { type AppliedMigration, readApplied, readPartial } from './history.js';
import { type LockHolder, unlock } from './lock.js';
import { compare, refusePartials } from './plan.js';
import { backupFirst, type PreflightEvent, pauseForWarnings, runGate } from './preflight.js';
import { createRunContext, type MigrationFailure, type RunnerEvent, runInTransaction } from './runner.js';
import { runWithoutTransaction } from './runner-autocommit.js';
import { type LockState, openRunSession } from './session.js';
import { type PlannedStatement, planSection, shownPath } from './statements.js';

/** Where (ProjectOptions: `url`/`env`/`dir`/`config` like the CLI flags, or `target` + `source`) and what to roll back.
 * pgward.yaml's environments identify the database reached (any URL spelling); its backup storage takes
 * the pre-rollback backup when the policy says `backup_before_migrate`. */
export interface RollbackOptions extends ProjectOptions {
  /** Roll back this many of the newest applied migrations (default 1). */
  steps?: number | undefined;
  /** Roll back every applied migration newer than this version (exclusive). */
  to?: string | undefined;
  allowDrift?: boolean | undefined;
  /** Print what would run and the gate decisions; touches nothing. Exits 6 when the gate would block. */
  dryRun?: boolean | undefined;
  /** Rerun a no-transaction down section that stopped part-way, from its first statement. */
  retryPartial?: boolean | undefined;
  lockWaitMs?: number | undefined;
  retryBackoffMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((e: RollbackEvent) => void) | undefined;
  /** Versions a person approves rolling back: recorded, bound to each file's current checksum. */
  approve?: string[] | undefined;
  /** Asked when the gate blocks approvable rollbacks; returns the versions the person approved. */
  askApproval?: ((blocked: MigrationGate[]) => Promise<string[]>) | undefined;
  /** Skip the gate entirely (library use). The CLI has no such flag. */
  skipGate?: boolean | undefined;
}

export type RollbackEvent =
  | RunnerEvent
  | PreflightEvent
  | { type: 'lock-wait'; holder: LockHolder | undefined }
  | { type: 'start'; version: string; name: string }
  | { type: 'rolled-back'; version: string; name: string; durationMs: number }
  | { type: 'failed'; failure: MigrationFailure };

export interface RollbackResult {
  env: string | undefined;
  database: string;
  /** Which environments the database reached was identified as, and how (stamp, probe, name). */
  identity?: IdentitySummary | undefined;
  dryRun: boolean;
  planned: { version: string; name: string; file: string; transaction: boolean }[];
  rolledBack: { version: string; name: string; durationMs: number }[];
  /** The gate decision for every down section of the run. */
  gates: MigrationGate[];
  /** Down sections that stop (or, in a dry run, would stop) the rollback at the gate (exit code 6). */
  blocked: MigrationGate[];
  /** Id of the backup taken before the first down section (policy `backup_before_migrate`). */
  backupId: string | undefined;
  failure: MigrationFailure | undefined;
  exitCode: ExitCodeValue;
}

interface DownPlan {
  file: MigrationFile;
  statements: PlannedStatement[];
}

/**
 * What `pgward rollback` does: runs the down sections of the newest applied migrations (default one),
 * newest first, after the same gate, pause and backup as migrate. Throws PgwardError when it cannot or
 * will not start (no down section, drift, lock busy...); returns the outcome otherwise (`failure` when a
 * down section failed, `blocked` + exitCode 6 when the gate stopped it).
 *
 * @example
 * ```ts
 * import { rollback } from 'pgward';
 * const r = await rollback({ url: process.env.DATABASE_URL, dir: 'db/migrations', steps: 1 });
 * console.log(r.rolledBack.map((m) => m.version), r.exitCode);
 * ```
 */
export async function rollback(given: RollbackOptions): Promise<RollbackResult> {
  let opts = await resolveProject(given);
  if (opts.steps !== undefined && opts.to !== undefined)
    throw new UsageError('use either --steps or --to, not both');
  const steps = opts.steps ?? (opts.to === undefined ? 1 : undefined);
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1))
    throw new UsageError('--steps must be a positive integer');
  const emit = opts.onEvent ?? (() => {});
  const { files } = loadMigrations(opts.source.dir);
  await ensureParser();
  const client = await connect(opts.target.url, { applicationName: appName('rollback'), pipeline: true });
  const lock: LockState = { locked: false };
  try {
    opts = await openRunSession(client, opts, 'rollback', lock, (holder) =>
      emit({ type: 'lock-wait', holder }),
    );
    const applied = (await readApplied(client)).sort((a, b) => compareVersions(b.version, a.version));
    const partial = compare(files, applied, await readPartial(client)).partial;
    refusePartials(partial, { command: 'rollback', retryUp: false, retryDown: opts.retryPartial === true });
    const chosen = chooseTargets(applied, steps, opts.to);
    refusePartialsLeftOut(partial, chosen);
    const plans = chosen.map((a) => planDown(files, a, opts.allowDrift === true));
    const base: RunSoFar = {
      env: opts.target.env,
      identity: summaryOf(opts.target),
      database: redactUrl(opts.target.url),
      planned: plans.map((p) => ({
        version: p.file.version,
        name: p.file.name,
        file: shownPath(p.file.path),
        transaction: p.file.transaction,
      })),
      rolledBack: [],
      gates: [],
      blocked: [],
      backupId: undefined,
      failure: undefined,
    };
    const dryRun = opts.dryRun === true;
    if (!opts.skipGate) {
      const stopped = await gateBeforeRunning(client, plans, opts, base, emit);
      if (stopped) return stopped;
    }
    if (dryRun) return { ...base, dryRun, exitCode: ExitCode.ok };
    if (opts.target.policy.backupBeforeMigrate && plans.length > 0) {
      base.backupId = await backupFirst(opts, 'down', emit);
    }
    return await rollBackInOrder(client, plans, opts, base, emit);
  } finally {
    if (lock.locked) await unlock(client).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** What a rollback has found and done so far; every result is this plus how it ended. */
type RunSoFar = Omit<RollbackResult, 'dryRun' | 'exitCode'>;

/** A partial rollback can only be retried by a rollback that includes it. */
function refusePartialsLeftOut(
  partial: { version: string; name: string }[],
  chosen: AppliedMigration[],
): void {
  for (const p of partial) {
    if (!chosen.some((c) => c.version === p.version))
      throw new UsageError(
        `--retry-partial: ${p.version}_${p.name} stopped part-way but is not among the migrations this rollback would run`,
        'choose --steps / --to so that it is included',
      );
  }
}

/** The gate decides every down section first; returns the result when the rollback stops here. */
async function gateBeforeRunning(
  client: pg.Client,
  plans: DownPlan[],
  opts: RollbackOptions & ResolvedProject,
  base: RunSoFar,
  emit: (e: RollbackEvent) => void,
): Promise<RollbackResult | undefined> {
  const dryRun = opts.dryRun === true;
  const gate = await runGate(
    client,
    plans.map((p) => p.file),
    {
      target: opts.target,
      direction: 'down',
      dryRun,
      approve: opts.approve,
      askApproval: opts.askApproval,
    },
    emit,
  );
  base.gates = gate.gates;
  base.blocked = gate.blocked;
  if (gate.blocked.length) return { ...base, dryRun, exitCode: ExitCode.gateBlocked };
  if (!dryRun && !(await pauseForWarnings(gate.gates, opts.signal, emit)))
    return { ...base, dryRun, exitCode: ExitCode.interrupted };
  return undefined;
}

/** Runs the down sections newest first, forgetting each migration with its last statement. */
async function rollBackInOrder(
  client: pg.Client,
  plans: DownPlan[],
  opts: RollbackOptions & ResolvedProject,
  base: RunSoFar,
  emit: (e: RollbackEvent) => void,
): Promise<RollbackResult> {
  const ctx = await createRunContext(client, opts.target, {
    retryBackoffMs: opts.retryBackoffMs,
    signal: opts.signal,
    onEvent: emit,
  });
  for (const { file, statements } of plans) {
    if (opts.signal?.aborted) return { ...base, dryRun: false, exitCode: ExitCode.interrupted };
    emit({ type: 'start', version: file.version, name: file.name });
    // One statement (enqueued at once, so it precedes a pipelined COMMIT): the history row and any
    // partial-rollback marker go together.
    const forget = async (c: pg.Client) => {
      await c.query(
        'WITH m AS (DELETE FROM pgward.migrations WHERE version = $1) DELETE FROM pgward.partial_migrations WHERE version = $1',
        [file.version],
      );
    };
    // A no-transaction file's down section may hold CONCURRENTLY statements: run it the same way,
    // with the same progress record, so stopping part-way shows as a partial rollback.
    const outcome = file.transaction
      ? await runInTransaction(ctx, file, statements, forget)
      : await runWithoutTransaction(ctx, file, statements, forget, 'down');
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
}

/** The applied migrations to roll back, newest first (`applied` is sorted newest first). */
function chooseTargets(
  applied: AppliedMigration[],
  steps: number | undefined,
  to: string | undefined,
): AppliedMigration[] {
  if (to !== undefined && to !== '0' && !applied.some((a) => a.version === to)) {
    throw new UsageError(`--to ${to}: that version is not applied`, 'use 0 to roll back everything');
  }
  return steps !== undefined
    ? applied.slice(0, steps)
    : applied.filter((a) => compareVersions(a.version, to!) > 0);
}

/** Checks one target can be rolled back as recorded, and splits its down section. */
function planDown(files: MigrationFile[], a: AppliedMigration, allowDrift: boolean): DownPlan {
  const file = files.find((f) => f.version === a.version);
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
  if (file.checksum !== a.checksum && !allowDrift) {
    throw new PgwardError(
      `${shownPath(file.path)} changed since it was applied: its down section may not match`,
      {
        exitCode: ExitCode.drift,
        hint: 'restore the original file, or pass --allow-drift; nothing was rolled back',
      },
    );
  }
  return { file, statements: planSection(file, file.down!, 'down') };
}
