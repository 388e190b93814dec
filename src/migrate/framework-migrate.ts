// `pgward migrate` for a project whose migrations another framework runs (Rails, Alembic, Django, Knex,
// node-pg-migrate, Prisma, golang-migrate, Flyway): pgward identifies the database, takes its migration
// lock, reads what is pending from the framework's own tracking table, records approvals (bound to the
// migration files' checksum), takes the policy's backup, then runs the framework's own command behind
// the guard — every statement checked live against the policy, timeouts forced on every session,
// lock-timeout failures retried while nothing of them stayed applied — and audits what ran.

import type pg from 'pg';
import { type ProjectOptions, resolveProject } from '../config/project.js';
import { appName, connect } from '../db/connect.js';
import { sessionOf } from '../db/pooler.js';
import { ExitCode, type ExitCodeValue, PgwardError } from '../errors.js';
import { frameworkCommand, type RunnableFramework } from '../frameworks/commands.js';
import { ADAPTERS } from '../frameworks/index.js';
import { MigrationTracker, type TrackedMigration } from '../frameworks/tracker.js';
import { BOOKKEEPING_TABLES, trackingSpec } from '../frameworks/tracking.js';
import { ensureAudit, finishAuditRun, startAuditRun } from '../guard/audit.js';
import { policyInspector } from '../guard/inspect.js';
import { type GuardedCommandResult, runGuardedCommand } from '../guard/run.js';
import { sessionSettings } from '../guard/settings.js';
import type { StatementRecord } from '../guard/types.js';
import { identifyForWrite } from '../identity/identify.js';
import { redactUrl } from '../redact.js';
import { ensureParser } from '../sql/parser.js';
import { gateInput, type PendingMigration, type Run, readPending } from './framework-common.js';
import { type FrameworkGate, frameworkGates } from './framework-gate.js';
import { type Approval, recordApproval } from './gate.js';
import { actor, ensureHistory } from './history.js';
import { acquireMigrationLock, bindSessionToClient, unlock } from './lock.js';
import { backupFirst } from './preflight.js';
import { resolveFramework } from './status.js';

export {
  configuredCommand,
  type PendingMigration,
  projectFramework,
  runsOwnFormat,
} from './framework-common.js';

export interface FrameworkMigrateOptions extends ProjectOptions {
  /** Versions to approve (bound to their files' current checksum). */
  approve?: string[] | undefined;
  lockWaitMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** migrations.command: replaces the framework's default command. */
  command?: string[] | undefined;
  /** The project's root (where the framework's command runs). Default: the working directory. */
  root?: string | undefined;
  onEvent?: (e: FrameworkMigrateEvent) => void;
  /** The framework's own output (default: stderr). */
  onOutput?: (chunk: Buffer) => void;
}

export type FrameworkMigrateEvent =
  | { type: 'pending'; framework: string; pending: PendingMigration[] }
  | { type: 'approved'; approval: Approval }
  | { type: 'backup-start' }
  | { type: 'backup-done'; id: string; bytes: number; durationMs: number }
  | { type: 'run'; argv: string[]; attempt: number }
  | { type: 'statement'; statement: StatementRecord }
  | { type: 'retry'; attempt: number; waitMs: number; reason: string };

export interface FrameworkMigrateResult {
  framework: string;
  env: string | undefined;
  database: string;
  pending: PendingMigration[];
  /** Versions applied by this run (from the tracking table, re-read after the run). */
  applied: string[];
  attempts: number;
  statements: number;
  /** The statement the guard refused, if any (nothing of its migration applied). */
  refused: { version: string | undefined; sql: string; message: string } | undefined;
  /** How the framework's command ended; undefined when it was not run. */
  command: { argv: string[]; exitCode: number | null; timedOut: boolean; stderrTail: string } | undefined;
  backupId: string | undefined;
  auditRun: number | undefined;
  /** What the static reading of each pending migration found, and the gate's decision on it. */
  gates: FrameworkGate[];
  /** Versions the gate refused before the command ran (nothing ran). */
  blocked: string[];
  exitCode: ExitCodeValue;
}

/**
 * Runs a framework project's pending migrations with the framework's own command, behind the guard.
 *
 * @example
 * ```ts
 * import { migrateFramework } from 'pgward';
 * const r = await migrateFramework({ env: 'production', framework: 'rails', dir: 'db/migrate' });
 * if (r.refused) console.error(r.refused.message);
 * else console.log('applied', r.applied);
 * ```
 */
export async function migrateFramework(given: FrameworkMigrateOptions): Promise<FrameworkMigrateResult> {
  const opts = await resolveProject(given);
  const client = await connect(opts.target.url, { applicationName: appName('migrate') });
  let locked = false;
  try {
    await bindSessionToClient(client);
    const target = await identifyForWrite(client, opts.target, opts);
    const framework = (await resolveFramework(opts.source, client)) as RunnableFramework;
    const run = { ...opts, target, framework };
    await acquireMigrationLock(client, {
      session: sessionOf(opts.target),
      waitMs: opts.lockWaitMs ?? 60_000,
      signal: opts.signal,
    });
    locked = true;
    await ensureHistory(client);
    await ensureAudit(client);
    return await migrateLocked(client, run);
  } finally {
    if (locked) await unlock(client).catch(() => {});
    await client.end().catch(() => {});
  }
}

async function migrateLocked(client: pg.Client, run: Run): Promise<FrameworkMigrateResult> {
  const emit = run.onEvent ?? (() => {});
  let pending = await readPending(client, run);
  pending = await approveGiven(client, run, pending, emit);
  emit({ type: 'pending', framework: run.framework, pending });
  const base: FrameworkMigrateResult = {
    framework: run.framework,
    env: run.target.env,
    database: redactUrl(run.target.url),
    pending,
    applied: [],
    attempts: 0,
    statements: 0,
    refused: undefined,
    command: undefined,
    backupId: undefined,
    auditRun: undefined,
    gates: [],
    blocked: [],
    exitCode: ExitCode.ok,
  };
  if (pending.length === 0) return base;
  base.gates = await frameworkGates(client, gateInput(run, pending, false));
  base.blocked = base.gates.filter((g) => g.decision === 'blocked').map((g) => g.version);
  // Refused before anything runs: what a static reading sees is never left to half a migration.
  if (base.blocked.length) return { ...base, exitCode: ExitCode.gateBlocked };
  if (run.target.policy.backupBeforeMigrate)
    base.backupId = await backupFirst(run, 'up', (e) => {
      if (e.type === 'backup-start' || e.type === 'backup-done') emit(e);
    });
  await ensureParser();
  return runWithRetries(client, run, base, emit);
}

async function approveGiven(
  client: pg.Client,
  run: Run,
  pending: PendingMigration[],
  emit: (e: FrameworkMigrateEvent) => void,
): Promise<PendingMigration[]> {
  for (const v of run.approve ?? []) {
    const m = pending.find((p) => p.version === v);
    if (!m)
      throw new PgwardError(`--approve ${v}: no pending migration has that version`, {
        exitCode: ExitCode.usage,
        hint: `pending: ${pending.map((p) => p.version).join(', ') || 'none'}`,
      });
    const gate = { version: m.version, checksum: m.checksum, findings: [] } as unknown as Parameters<
      typeof recordApproval
    >[1];
    emit({ type: 'approved', approval: await recordApproval(client, gate, run.target.env, 'up') });
    m.approved = true;
  }
  return pending;
}

async function runWithRetries(
  client: pg.Client,
  run: Run,
  base: FrameworkMigrateResult,
  emit: (e: FrameworkMigrateEvent) => void,
): Promise<FrameworkMigrateResult> {
  const policy = run.target.policy;
  let backoff = policy.lockRetryBackoffMs;
  for (let attempt = 1; ; attempt++) {
    const pending = attempt === 1 ? base.pending : await readPending(client, run);
    const outcome = await runOnce(client, run, pending, attempt, emit);
    const result: FrameworkMigrateResult = {
      ...base,
      attempts: attempt,
      applied: [...base.applied, ...outcome.applied],
      statements: base.statements + outcome.res.statements.length,
      refused: outcome.refused,
      command: outcome.command,
      auditRun: outcome.auditRun,
      exitCode: outcome.exitCode,
    };
    const lockTimeout = retryableLockTimeout(outcome.res);
    if (
      outcome.exitCode === ExitCode.ok ||
      !lockTimeout ||
      attempt > policy.lockRetries ||
      run.signal?.aborted
    )
      return result;
    emit({ type: 'retry', attempt: attempt + 1, waitMs: backoff, reason: lockTimeout });
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 30_000);
    base = result;
  }
}

/**
 * A run is retried only when it failed on lock_timeout inside a transaction, which the server rolled back
 * whole: re-running the framework then starts that migration afresh. A lock timeout in autocommit may
 * follow statements of the same migration that stayed applied, so it is reported, not retried.
 */
function retryableLockTimeout(res: GuardedCommandResult): string | undefined {
  const hit = res.statements.find((s) => s.error?.code === '55P03');
  if (!hit || res.statements.some((s) => s.outcome === 'rejected')) return undefined;
  return hit.inTransaction ? `lock timeout on: ${hit.sql.slice(0, 120)}` : undefined;
}

interface Outcome {
  res: GuardedCommandResult;
  applied: string[];
  refused: FrameworkMigrateResult['refused'];
  command: FrameworkMigrateResult['command'];
  auditRun: number;
  exitCode: ExitCodeValue;
}

async function runOnce(
  client: pg.Client,
  run: Run,
  pending: PendingMigration[],
  attempt: number,
  emit: (e: FrameworkMigrateEvent) => void,
): Promise<Outcome> {
  const root = run.root ?? run.source.root ?? process.cwd();
  const cmd = await frameworkCommand(run.framework, { root, dir: run.source.dir, override: run.command });
  const tracker = new MigrationTracker(pending as TrackedMigration[], trackingSpec(run.framework));
  const auditRun = await startAuditRun(client, {
    kind: 'migrate',
    env: run.target.env,
    framework: run.framework,
    command: cmd.display ?? cmd.argv.join(' '),
    runBy: actor(),
  });
  emit({ type: 'run', argv: cmd.display ? [cmd.display] : cmd.argv, attempt });
  const policy = run.target.policy;
  try {
    const res = await runGuardedCommand({
      upstreamUrl: run.target.url,
      settings: sessionSettings(policy),
      inspector: policyInspector({
        policy,
        env: run.target.env,
        control: client,
        exempt: BOOKKEEPING_TABLES,
        serverVersionNum: Number((await client.query('SHOW server_version_num')).rows[0].server_version_num),
        approval: () => ({
          approved: tracker.approved(),
          hint: approveHint(run, tracker.current()?.version),
        }),
      }),
      argv: cmd.argv,
      cwd: root,
      env: (g) => cmd.env(g),
      timeoutMs: policy.migrationTimeoutMs,
      signal: run.signal,
      onStatement: (s) => {
        tracker.observe(s);
        emit({ type: 'statement', statement: s });
      },
      ...(run.onOutput ? { onOutput: run.onOutput } : {}),
    });
    return await concludeRun(client, run, res, tracker, auditRun, cmd.argv, pending);
  } finally {
    cmd.cleanup();
  }
}

function approveHint(run: Run, version: string | undefined): string {
  const env = run.target.env ? `--env ${run.target.env}` : '--url …';
  return `review it, then approve it: pgward migrate ${env} --approve ${version ?? '<version>'}`;
}

async function concludeRun(
  client: pg.Client,
  run: Run,
  res: GuardedCommandResult,
  tracker: MigrationTracker,
  auditRun: number,
  argv: string[],
  pending: PendingMigration[],
): Promise<Outcome> {
  const refusedRec = res.statements.find((s) => s.outcome === 'rejected');
  const refused = refusedRec
    ? { version: tracker.current()?.version, sql: refusedRec.sql, message: refusedRec.error?.message ?? '' }
    : undefined;
  const after = await ADAPTERS[run.framework as keyof typeof ADAPTERS].status(
    client,
    run.source.dir,
    run.source.table,
  );
  const appliedNow = new Set(after.entries.filter((e) => e.state === 'applied').map((e) => e.version));
  const applied = pending.map((p) => p.version).filter((v) => appliedNow.has(v));
  let exitCode: ExitCodeValue = ExitCode.ok;
  if (res.interrupted) exitCode = ExitCode.interrupted;
  else if (refused) exitCode = ExitCode.gateBlocked;
  else if (res.exitCode !== 0) exitCode = ExitCode.runtime;
  const outcome = res.timedOut
    ? 'timed-out'
    : exitCode === ExitCode.ok
      ? 'succeeded'
      : refused
        ? 'refused'
        : 'failed';
  const audited = res.statements.map((s) => ({ ...s, version: tracker.versionOf(s.seq) }));
  await finishAuditRun(client, auditRun, outcome, res.exitCode, audited);
  return {
    res,
    applied,
    refused,
    command: { argv, exitCode: res.exitCode, timedOut: res.timedOut, stderrTail: res.stderrTail },
    auditRun,
    exitCode,
  };
}
