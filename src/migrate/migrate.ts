import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { appName, connect } from '../db/connect.js';
import { ExitCode, type ExitCodeValue, PgwardError, UsageError } from '../errors.js';
import { type IdentitySummary, identifyForWrite, summaryOf } from '../identity/identify.js';
import { redactUrl } from '../redact.js';
import { ensureParser } from '../sql/parser.js';
import { compareVersions, loadMigrations, type MigrationFile } from './files.js';
import type { MigrationGate } from './gate.js';
import { ensureHistory, readApplied, readPartial, recordApplied } from './history.js';
import { acquireMigrationLock, bindSessionToClient, type LockHolder, unlock } from './lock.js';
import { compare, refusePartials } from './plan.js';
import { backupFirst, type PreflightEvent, pauseForWarnings, runGate } from './preflight.js';
import {
  createRunContext,
  type MigrationFailure,
  type RunnerEvent,
  runInTransaction,
  type StatementTracer,
} from './runner.js';
import { runWithoutTransaction } from './runner-autocommit.js';
import {
  assertNoTransactionControl,
  assertUpNotEmpty,
  type PlannedStatement,
  planSection,
  shownPath,
} from './statements.js';
import { assertPgwardRunner, resolveFramework } from './status.js';

export interface MigrateOptions {
  target: Target;
  source: MigrationsSource;
  /** Apply pending migrations up to and including this version. */
  to?: string | undefined;
  /** Print what would run; touches nothing (no lock, no history schema). */
  dryRun?: boolean | undefined;
  allowDrift?: boolean | undefined;
  allowOutOfOrder?: boolean | undefined;
  /** Re-run no-transaction migrations that stopped part-way, from their first statement. */
  retryPartial?: boolean | undefined;
  /** How long to wait for another run's lock (ms). */
  lockWaitMs?: number | undefined;
  /** Delay before the first lock-timeout retry (ms), doubling each time. */
  retryBackoffMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((e: MigrateEvent) => void) | undefined;
  /** Versions a person approves for this run: recorded, bound to each file's current checksum. */
  approve?: string[] | undefined;
  /**
   * Asked when the gate blocks approvable migrations (the CLI asks on a TTY for the version to be typed):
   * returns the versions the person approved.
   */
  askApproval?: ((blocked: MigrationGate[]) => Promise<string[]>) | undefined;
  /** Skip the gate entirely (library use, tests of the runner). The CLI has no such flag. */
  skipGate?: boolean | undefined;
  /** Observes every statement on the runner's connection (used by `rehearse` to trace locks). */
  tracer?: StatementTracer | undefined;
  /** pgward.yaml, for the backup storage when the policy says `backup_before_migrate`. */
  config?: LoadedConfig | undefined;
  /**
   * The database is a throwaway copy (rehearse): it is not identified as any environment, never stamped,
   * and never backed up, so nothing of it can reach an environment's backup catalog.
   */
  throwaway?: boolean | undefined;
}

export type MigrateEvent =
  | RunnerEvent
  | PreflightEvent
  | { type: 'lock-wait'; holder: LockHolder | undefined }
  | { type: 'plan'; pending: { version: string; name: string; transaction: boolean }[] }
  | { type: 'start'; version: string; name: string; transaction: boolean }
  | { type: 'applied'; version: string; name: string; durationMs: number; attempts: number }
  | { type: 'failed'; failure: MigrationFailure };

export interface PlannedMigration {
  version: string;
  name: string;
  file: string;
  transaction: boolean;
  statements: PlannedStatement[];
}

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

export async function migrate(given: MigrateOptions): Promise<MigrateResult> {
  let opts = given;
  const emit = opts.onEvent ?? (() => {});
  const { files } = loadMigrations(opts.source.dir);
  if (opts.to !== undefined && !files.some((f) => f.version === opts.to)) {
    throw new UsageError(`--to ${opts.to}: no migration file has that version`);
  }
  // The parser's WebAssembly compiles while we connect, lock and read the history.
  const parserReady = ensureParser();
  parserReady.catch(() => {});
  const client = await connect(opts.target.url, { applicationName: appName('migrate'), pipeline: true });
  let locked = false;
  try {
    await bindSessionToClient(client);
    // Policy, gate and backup catalog follow the database actually reached, not the URL's spelling.
    if (!opts.throwaway) opts = { ...opts, target: await identifyForWrite(client, opts.target, opts) };
    assertPgwardRunner(await resolveFramework(opts.source, client), 'migrate');
    if (!opts.dryRun) {
      await acquireMigrationLock(client, {
        waitMs: opts.lockWaitMs ?? 60_000,
        onWait: (holder) => emit({ type: 'lock-wait', holder }),
        signal: opts.signal,
      });
      locked = true;
      await ensureHistory(client);
    }
    const cmp = compare(files, await readApplied(client), await readPartial(client));
    refuseUnsafeStart(cmp, opts);
    const toRun = cmp.pendingFiles.filter(
      (f) => opts.to === undefined || compareVersions(f.version, opts.to) <= 0,
    );
    // Plan every file before running any: a syntax error in the third file must not leave two applied.
    await parserReady;
    const planned = toRun.map((f) => planMigration(f));
    emit({
      type: 'plan',
      pending: planned.map((p) => ({ version: p.version, name: p.name, transaction: p.transaction })),
    });
    const base: RunSoFar = {
      env: opts.target.env,
      database: redactUrl(opts.target.url),
      identity: summaryOf(opts.target),
      planned,
      applied: [],
      gates: [],
      blocked: [],
      backupId: undefined,
      failure: undefined,
    };
    if (!opts.skipGate) {
      const stopped = await gateBeforeRunning(client, toRun, opts, base, emit);
      if (stopped) return stopped;
    }
    if (opts.dryRun) return { ...base, dryRun: true, exitCode: ExitCode.ok };
    if (opts.target.policy.backupBeforeMigrate && toRun.length > 0 && !opts.throwaway) {
      base.backupId = await backupFirst(opts, 'up', emit);
    }
    return await applyInOrder(client, toRun, planned, opts, base, emit);
  } finally {
    if (locked) await unlock(client).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** What a run has found and done so far; every result (early or final) is this plus how it ended. */
type RunSoFar = Omit<MigrateResult, 'dryRun' | 'exitCode'>;

/**
 * The gate decides every file before any runs. Returns the result when the run stops here (blocked,
 * a dry run, or interrupted during the pause for warnings); undefined when it goes on.
 */
async function gateBeforeRunning(
  client: pg.Client,
  toRun: MigrationFile[],
  opts: MigrateOptions,
  base: RunSoFar,
  emit: (e: MigrateEvent) => void,
): Promise<MigrateResult | undefined> {
  const gate = await runGate(
    client,
    toRun,
    {
      target: opts.target,
      direction: 'up',
      dryRun: opts.dryRun === true,
      approve: opts.approve,
      askApproval: opts.askApproval,
    },
    emit,
  );
  base.gates = gate.gates;
  base.blocked = gate.blocked;
  // A dry run tells what the real run would do: a run the gate stops is not "ok".
  if (gate.blocked.length) return { ...base, dryRun: opts.dryRun === true, exitCode: ExitCode.gateBlocked };
  if (opts.dryRun) return { ...base, dryRun: true, exitCode: ExitCode.ok };
  if (!(await pauseForWarnings(gate.gates, opts.signal, emit)))
    return { ...base, dryRun: false, exitCode: ExitCode.interrupted };
  return undefined;
}

/** Applies the planned files in order, each recorded with its approval; stops at the first failure. */
async function applyInOrder(
  client: pg.Client,
  toRun: MigrationFile[],
  planned: PlannedMigration[],
  opts: MigrateOptions,
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

function planMigration(f: MigrationFile): PlannedMigration {
  const statements = planSection(f, f.up, 'up');
  assertUpNotEmpty(f, statements.length);
  if (f.transaction) assertNoTransactionControl(f, statements);
  return {
    version: f.version,
    name: f.name,
    file: shownPath(f.path),
    transaction: f.transaction,
    statements,
  };
}

function refuseUnsafeStart(cmp: ReturnType<typeof compare>, opts: MigrateOptions): void {
  const list = (es: { version: string; name: string }[]) =>
    es.map((e) => `${e.version}_${e.name}`).join(', ');
  if (!opts.allowDrift && (cmp.drifted.length || cmp.missing.length)) {
    const parts = [];
    if (cmp.drifted.length) parts.push(`changed after being applied: ${list(cmp.drifted)}`);
    if (cmp.missing.length) parts.push(`applied but their files are gone: ${list(cmp.missing)}`);
    throw new PgwardError(`refusing to migrate: history and files disagree (${parts.join('; ')})`, {
      exitCode: ExitCode.drift,
      hint: 'restore the original files, or pass --allow-drift once you have checked the database matches them',
    });
  }
  if (!opts.allowOutOfOrder && cmp.outOfOrder.length) {
    throw new PgwardError(
      `refusing to migrate: pending migrations are older than the newest applied one: ${list(cmp.outOfOrder)}`,
      {
        exitCode: ExitCode.drift,
        hint: 'give them a newer version (rename the file), or pass --allow-out-of-order if their order does not matter',
      },
    );
  }
  refusePartials(cmp.partial, { command: 'migrate', retryUp: opts.retryPartial === true, retryDown: false });
}
