// `pgward rehearse` for a project whose migrations another framework runs (Rails, Alembic, Django, Knex,
// node-pg-migrate, ...): on the throwaway copy, the framework's own migrate command runs behind the guard
// with the environment's session timeouts; every statement is traced (duration, the migration it belongs
// to, locks taken and how long they were held, rewrites) and what the environment's policy would refuse
// is reported, never enforced. The copy's tracking table came with the copy: pending = pending in the
// environment.
import type pg from 'pg';
import { appName, connect, withClient } from '../db/connect.js';
import { ExitCode, PgwardError } from '../errors.js';
import { ATTENTION_STATES } from '../files/migration-status.js';
import { checksumOfFiles, migrationFiles } from '../frameworks/checksum.js';
import { frameworkCommand, type RunnableFramework } from '../frameworks/commands.js';
import { ADAPTERS } from '../frameworks/index.js';
import { MigrationTracker, type TrackedMigration } from '../frameworks/tracker.js';
import { BOOKKEEPING_TABLES, trackingSpec } from '../frameworks/tracking.js';
import { policyInspector } from '../guard/inspect.js';
import { runGuardedCommand } from '../guard/run.js';
import { sessionSettings } from '../guard/settings.js';
import type { Inspector } from '../guard/types.js';
import { InterruptedError } from '../interrupt.js';
import { configuredCommand } from '../migrate/framework-common.js';
import { readApprovals } from '../migrate/gate.js';
import { ensureParser } from '../sql/parser.js';
import { GuardTracer, type Rels, relLabel, type Step } from './guard-trace.js';
import type { RehearseOptions } from './rehearse.js';
import { isBlocking } from './trace.js';
import { type LockHold, type MigrationTrace, rankLocks, type StatementTrace } from './tracer.js';

export interface CopyRun {
  framework: string;
  migrations: MigrationTrace[];
  /** The migration run's own exit code (0, or the failure's). */
  exitCode: number;
  failed: boolean;
}

interface Pending extends TrackedMigration {
  version: string;
  name: string;
}

async function pendingOnCopy(client: pg.Client, framework: RunnableFramework, o: RehearseOptions) {
  const adapter = ADAPTERS[framework as keyof typeof ADAPTERS];
  const status = await adapter.status(client, o.source.dir, o.source.table);
  const attention = status.entries.filter((e) => ATTENTION_STATES.has(e.state));
  if (attention.length)
    throw new PgwardError(
      `${framework}'s history needs attention before a rehearsal: ${attention.map((e) => `${e.version} ${e.state}`).join(', ')}`,
      {
        exitCode: ExitCode.drift,
        hint: 'run `pgward status` and fix the history with the framework’s own tools first',
      },
    );
  // Approvals live in the environment's pgward schema, which the copy carries.
  const approvals = await readApprovals(client, 'up').catch(() => new Map());
  return status.entries
    .filter((e) => e.state === 'pending')
    .map(
      (e): Pending => ({
        version: e.version,
        name: e.name,
        file: e.file,
        approved: approvals.has(`${e.version}:${checksumOfFiles(migrationFiles(o.source.dir, e.file))}`),
      }),
    );
}

async function appliedOnCopy(client: pg.Client, framework: RunnableFramework, o: RehearseOptions) {
  const after = await ADAPTERS[framework as keyof typeof ADAPTERS].status(
    client,
    o.source.dir,
    o.source.table,
  );
  return new Set(after.entries.filter((e) => e.state === 'applied').map((e) => e.version));
}

/** The environment's own tracking table, read-only (undefined when it cannot be read). */
async function appliedInEnvironment(
  framework: RunnableFramework,
  o: RehearseOptions,
): Promise<string | undefined> {
  try {
    const applied = await withClient(o.target.url, (c) => appliedOnCopy(c, framework, o), {
      applicationName: appName('rehearse'),
    });
    return [...applied].sort().join(',');
  } catch {
    return undefined;
  }
}

/**
 * A framework whose own configuration names the environment's database (a hard-coded host, a variable
 * pgward does not know) would migrate the environment itself: if its tracking table changed during the
 * rehearsal, say so loudly rather than report a rehearsal.
 */
function refuseIfEnvironmentMigrated(
  o: RehearseOptions,
  before: string | undefined,
  after: string | undefined,
): void {
  if (before === undefined || after === undefined || before === after) return;
  throw new PgwardError(
    `${o.target.env ?? 'the environment'}'s own migration history changed during the rehearsal: the framework's configuration reached it directly, or something else migrated it meanwhile`,
    {
      hint: 'check that the framework takes its database from DATABASE_URL (or the setting pgward sets for it), not a fixed host; run `pgward status` on the environment',
    },
  );
}

/**
 * The environment's policy, judging as the guard of `pgward migrate` would. Table sizes are read with a
 * short lock_timeout: a table the framework's open transaction holds ACCESS EXCLUSIVE cannot be sized
 * until it commits, and waiting would deadlock (the framework waits for this statement); such a
 * statement is judged without sizes instead.
 */
async function judgeLikeProduction(
  o: RehearseOptions,
  control: pg.Client,
  tracker: MigrationTracker,
): Promise<Inspector> {
  await control.query("SET lock_timeout = '500ms'");
  const serverVersionNum = Number(
    (await control.query('SHOW server_version_num')).rows[0].server_version_num,
  );
  const judge = (sizes: pg.Client | undefined) =>
    policyInspector({
      policy: o.target.policy,
      env: o.target.env,
      control: sizes,
      exempt: BOOKKEEPING_TABLES,
      serverVersionNum,
      approval: () => ({
        approved: tracker.approved(),
        hint: `pgward migrate --env ${o.target.env ?? '…'} --approve ${tracker.current()?.version ?? '<version>'}`,
      }),
    });
  const online = judge(control);
  const offline = judge(undefined);
  return {
    inspect: (sql, ctx) => online.inspect(sql, ctx).catch(() => offline.inspect(sql, ctx)),
  };
}

/** Runs the framework's own command on the copy at `url`, behind the guard, traced. */
export async function rehearseFramework(
  o: RehearseOptions,
  url: string,
  framework: RunnableFramework,
): Promise<CopyRun> {
  const control = await connect(url, { applicationName: appName('rehearse') });
  const sampler = await connect(url, { applicationName: appName('rehearse sampler') });
  try {
    const pending = await pendingOnCopy(control, framework, o);
    if (!pending.length) return { framework, migrations: [], exitCode: ExitCode.ok, failed: false };
    await ensureParser();
    const tracker = new MigrationTracker(pending, trackingSpec(framework));
    const policy = o.target.policy;
    const tracer = new GuardTracer(control, sampler, await judgeLikeProduction(o, control, tracker));
    await tracer.start();
    const envBefore = await appliedInEnvironment(framework, o);
    const root = o.root ?? o.source.root ?? process.cwd();
    const override = o.command ?? configuredCommand(o.config?.raw.migrations?.command);
    const cmd = await frameworkCommand(framework, { root, dir: o.source.dir, override });
    let res: Awaited<ReturnType<typeof runGuardedCommand>>;
    try {
      res = await runGuardedCommand({
        upstreamUrl: url,
        // The environment's own URL never reaches the framework, whatever variable would carry it.
        hiddenUrls: [o.target.url],
        settings: sessionSettings(policy),
        inspector: tracer.inspector,
        argv: cmd.argv,
        cwd: root,
        env: (g) => cmd.env(g),
        timeoutMs: policy.migrationTimeoutMs,
        signal: o.signal,
        onStatement: (s) => {
          tracker.observe(s);
          tracer.record(s);
        },
        onOutput: o.onOutput ?? (() => {}),
      });
    } finally {
      cmd.cleanup();
    }
    await tracer.finish();
    refuseIfEnvironmentMigrated(o, envBefore, await appliedInEnvironment(framework, o));
    if (res.interrupted) throw new InterruptedError('rehearse', 'the copy was dropped, nothing was recorded');
    const failed = res.exitCode !== 0 || res.timedOut;
    const applied = await appliedOnCopy(control, framework, o);
    // What ran after the last recorded migration belongs to the one that was running (a failed one is never recorded).
    const recorded = res.statements.filter((r) => tracker.versionOf(r.seq) !== undefined).map((r) => r.seq);
    const lastRecorded = Math.max(0, ...recorded);
    const running = tracker.current()?.version;
    const versionOf = (seq: number) => tracker.versionOf(seq) ?? (seq > lastRecorded ? running : undefined);
    const migrations = pending.map((p) =>
      traceMigration(p, tracer, versionOf, applied.has(p.version), failed),
    );
    markFailure(
      migrations,
      failed,
      res.timedOut ? 'went over migration_timeout and was stopped' : res.stderrTail,
    );
    return { framework, migrations, exitCode: failed ? ExitCode.runtime : ExitCode.ok, failed };
  } finally {
    await sampler.end().catch(() => {});
    await control.end().catch(() => {});
  }
}

/**
 * A failed run: the migration whose statement failed (or, when none did, the first one not applied, with
 * the framework's last line of output); migrations rolled back with it (one transaction) say so.
 */
function markFailure(migrations: MigrationTrace[], failed: boolean, why: string): void {
  if (!failed) return;
  let culprit = migrations.find((m) => m.status === 'failed' && m.error);
  if (!culprit) {
    culprit = migrations.find((x) => x.status !== 'applied');
    if (!culprit) return;
    culprit.status = 'failed';
    const last = why.trim().split('\n').filter(Boolean).at(-1) ?? 'the command failed';
    culprit.error = { line: culprit.statements.length, message: last.slice(0, 300) };
  }
  for (const m of migrations)
    if (m.status === 'failed' && !m.error)
      m.error = { line: 0, message: `rolled back with ${culprit.version} (they ran in one transaction)` };
}

// Transaction control and session settings: part of the timing, not statements worth a row.
const PLUMBING = /^\s*(begin|start\s+transaction|commit|end|rollback|savepoint|release|set|show|reset)\b/i;

/** The framework's own tracking rows are not the migration's rows. */
function bookkeeping(sql: string): boolean {
  const m = /^\s*(?:insert\s+into|update|delete\s+from)\s+(?:"?\w+"?\.)?"?(\w+)"?/i.exec(sql);
  return m ? BOOKKEEPING_TABLES.has(m[1]!.toLowerCase()) : false;
}

const stepStart = (s: Step) => s.records[0]!.startedAt.getTime();
const stepEnd = (s: Step) => Math.max(...s.records.map((r) => r.startedAt.getTime() + r.durationMs));

function visible(s: Step, before: Rels): boolean {
  if (PLUMBING.test(s.sql)) return false;
  const reads = s.records.every((r) => (r.tag ?? '').startsWith('SELECT'));
  const strong = [...s.locks.values()].some((l) => before.has(l.oid) && l.mode !== 'AccessShareLock');
  return (
    !reads || strong || s.rewrites.length > 0 || s.refusal !== undefined || s.records.some((r) => r.error)
  );
}

function statementOf(s: Step, n: number): StatementTrace {
  const last = s.records.at(-1)!;
  const err = s.records.find((r) => r.error && r.outcome !== 'rejected')?.error;
  return {
    line: n,
    sql: s.sql.length > 300 ? `${s.sql.slice(0, 300)}…` : s.sql,
    ms: s.records.reduce((t, r) => t + r.durationMs, 0),
    rows: last.rows,
    command: last.tag?.split(' ')[0] ?? null,
    locks: [...s.locks.values()]
      .filter((l) => s.before.has(l.oid))
      .map((l) => ({ relation: relLabel(s.before, l.oid), mode: l.mode })),
    rewrites: s.rewrites,
    constraints: [],
    ...(err ? { error: `${err.code} ${err.message}` } : {}),
    ...(s.refusal ? { refusedInProduction: s.refusal } : {}),
  };
}

function traceMigration(
  p: Pending,
  tracer: GuardTracer,
  versionOf: (seq: number) => string | undefined,
  applied: boolean,
  failedRun: boolean,
): MigrationTrace {
  const steps = tracer.steps.filter(
    (s) => s.records.length && s.records.some((r) => versionOf(r.seq) === p.version),
  );
  const shown = steps.filter((s) => visible(s, s.before));
  const statements = shown.map((s, i) => statementOf(s, i + 1));
  const groupEnd = (s: Step) =>
    Math.max(
      ...tracer.steps
        .filter((x) => x.session === s.session && x.group === s.group && x.records.length)
        .map(stepEnd),
    );
  const held = new Map<string, { lock: LockHold; index: boolean }>();
  shown.forEach((s, i) => {
    for (const l of s.locks.values()) {
      const key = `${l.oid}:${l.mode}`;
      // Objects that did not exist (committed) before the statement block nobody.
      if (!s.before.has(l.oid) || held.has(key)) continue;
      const end = s.inTx ? groupEnd(s) : stepEnd(s);
      const lock = {
        relation: relLabel(s.before, l.oid),
        mode: l.mode,
        line: i + 1,
        heldMs: Math.round(end - stepStart(s)),
        blocking: isBlocking(l.mode),
      };
      held.set(key, { lock, index: s.before.get(l.oid)?.[3] === 'i' });
    }
  });
  const locks = rankLocks([...held.values()]);
  const failedStmt = statements.find((s) => s.error);
  const status = applied ? 'applied' : failedStmt || (failedRun && steps.length) ? 'failed' : 'not run';
  return {
    version: p.version,
    name: p.name,
    transaction: shown.some((s) => s.inTx),
    status,
    durationMs: steps.length ? Math.max(...steps.map(stepEnd)) - Math.min(...steps.map(stepStart)) : 0,
    ...(status === 'failed' && failedStmt
      ? { error: { line: failedStmt.line, message: failedStmt.error! } }
      : {}),
    statements,
    locks,
    worstLock: locks[0] ?? null,
    rewrites: [...new Set(statements.flatMap((s) => s.rewrites))],
    constraints: [],
    rowsAffected: statements.reduce(
      (n, s) =>
        n +
        (s.command && /^(INSERT|UPDATE|DELETE|MERGE|COPY)$/.test(s.command) && !bookkeeping(s.sql)
          ? (s.rows ?? 0)
          : 0),
      0,
    ),
  };
}
