// runDoctor: every check in one pass over the database, the migrations and the backup catalog. Each
// probe is isolated: a query that fails (permissions, a missing view) skips its own check, never the
// report. Backup checks need no database connection, so they still report when the server is down.

import type pg from 'pg';
import type { BackupManifest } from '../backup/manifest.js';
import type { LoadedConfig } from '../config/load.js';
import type { CheckId } from '../config/sections/doctor.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { appName, connect } from '../db/connect.js';
import { redact, redactUrl } from '../redact.js';
import { backupsInfo } from './backups.js';
import {
  backupAge,
  drillAge,
  migrationsCheck,
  replicationLag,
  replicationSlots,
  topQueries,
} from './checks-ops.js';
import * as server from './checks-server.js';
import * as storage from './checks-storage.js';
import { migrationsInfo, type PendingSince } from './migrations.js';
import { activity } from './probe-activity.js';
import { checkpoints, databaseStats, serverInfo, wraparound } from './probe-database.js';
import { markPartial, readsAllStats } from './probe-privileges.js';
import { replication } from './probe-replication.js';
import { topStatements } from './probe-statements.js';
import { deadTuples, invalidIndexes, sequences, unusedIndexes } from './probe-tables.js';
import type { ServerShare } from './server-share.js';
import { prepareSession } from './sql.js';
import { resolveThresholds, type Thresholds } from './thresholds.js';
import type { BackupsInfo, CheckResult, DoctorReport, Figures, MigrationsInfo, TopQuery } from './types.js';

export interface DoctorOptions {
  target: Target;
  /** Where the migrations are; without it the migrations check is skipped. */
  source?: MigrationsSource | undefined;
  /** pgward.yaml (backup storage, per-environment thresholds). */
  config?: LoadedConfig | undefined;
  /** Overrides the environment's thresholds. */
  thresholds?: Thresholds;
  /** An open connection to reuse (serve keeps one); otherwise one is opened and closed. */
  client?: pg.Client;
  /** Read the backup catalog (default true). */
  backups?: boolean;
  now?: Date;
  statementTimeoutMs?: number;
  /** The database is known to be unreachable (serve could not connect): skip its checks, say why. */
  unreachable?: string;
  /** Records and returns when pending migrations were first seen (serve); default: read what serve recorded. */
  pendingSince?: PendingSince;
  /** Receives the environment's backups as the catalog lists them, newest first (serve's dashboard). */
  onBackups?: (list: BackupManifest[]) => void;
  /** Readings of the whole server shared with the other environments watched on it (serve --all). */
  share?: ServerShare | undefined;
}

const TITLES: Record<CheckId, string> = {
  connectivity: 'Connectivity and latency',
  server_version: 'Server version and end of life',
  connections: 'Connections',
  idle_in_transaction: 'Sessions idle in transaction',
  long_queries: 'Long-running queries',
  blocking_locks: 'Blocking locks',
  cache_hit_ratio: 'Cache hit ratio',
  wraparound: 'Transaction ID and multixact wraparound',
  sequences: 'Sequences close to exhaustion',
  dead_tuples: 'Dead tuples and autovacuum',
  invalid_indexes: 'Invalid indexes',
  unused_indexes: 'Unused indexes',
  replication_lag: 'Replication lag',
  replication_slots: 'Replication slots',
  top_queries: 'Top queries by total time (pg_stat_statements)',
  migrations: 'Pending migrations',
  backup_age: 'Last backup',
  drill_age: 'Last passed restore drill',
};

const skipped = (id: CheckId, summary: string): CheckResult => ({
  id,
  title: TITLES[id],
  status: 'skip',
  summary: redact(summary.split('\n')[0]!),
});

/** The thresholds of the target's environment, from pgward.yaml. */
export function thresholdsFor(config: LoadedConfig | undefined, env: string | undefined): Thresholds {
  const raw = env ? config?.raw.environments?.[env]?.doctor : undefined;
  return resolveThresholds(raw);
}

/**
 * What `pgward doctor` does: the health checks of a database, as a report (never throws for a failed check).
 *
 * @example
 * ```ts
 * import { resolveProject, runDoctor } from 'pgward';
 * const { target, source, config } = await resolveProject({ url: process.env.DATABASE_URL });
 * const report = await runDoctor({ target, source, config });
 * console.log(report.status, report.checks.map((c) => `${c.id}: ${c.status}`));
 * ```
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const now = opts.now ?? new Date();
  const started = Date.now();
  const t = opts.thresholds ?? thresholdsFor(opts.config, opts.target.env);
  const checks: CheckResult[] = [];
  let figures: Figures | null = null;
  let migrations: MigrationsInfo | null = null;
  let backups: BackupsInfo | null = null;
  let top: TopQuery[] | null = null;
  let client = opts.client;
  let connected = false;
  let connectError = '';
  try {
    if (opts.unreachable !== undefined) throw new Error(opts.unreachable);
    if (!client) {
      client = await connect(opts.target.url, {
        applicationName: appName('doctor'),
        connectTimeoutMs: 10_000,
      });
      await prepareSession(client, opts.statementTimeoutMs ?? 10_000);
    }
    const t0 = performance.now();
    await client.query('SELECT 1');
    const latencyMs = performance.now() - t0;
    connected = true;
    checks.push(server.connectivity(latencyMs, t));
    const db = await databaseProbes(client, t, now, checks, latencyMs, opts.share);
    figures = db.figures;
    top = db.top;
    if (opts.source) {
      try {
        migrations = await migrationsInfo(client, opts.target, opts.source, now, opts.pendingSince);
        checks.push(migrationsCheck(migrations, t));
      } catch (err) {
        checks.push(skipped('migrations', `cannot read migrations: ${(err as Error).message}`));
      }
    } else checks.push(skipped('migrations', 'no migrations source given'));
  } catch (err) {
    connectError = (err as Error).message;
  } finally {
    if (!opts.client && client) await client.end().catch(() => {});
  }
  if (!connected) checks.splice(0, checks.length, ...unreachableChecks(connectError));
  const fromCatalog = await backupChecks(opts, t, now);
  backups = fromCatalog.backups;
  checks.push(...fromCatalog.checks);
  const order = Object.keys(TITLES);
  const kept = checks
    .filter((c) => !t.disabled.includes(c.id))
    .sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const status = overallStatus(kept);
  return {
    env: opts.target.env,
    database: redactUrl(opts.target.url),
    checkedAt: now.toISOString(),
    durationMs: Date.now() - started,
    connected,
    status,
    checks: kept,
    figures,
    migrations,
    backups,
    topQueries: top,
  };
}

/** The database could not be reached: connectivity fails, every database check is skipped. */
function unreachableChecks(connectError: string): CheckResult[] {
  const checks: CheckResult[] = [
    {
      id: 'connectivity',
      title: TITLES.connectivity,
      status: 'fail',
      summary: redact(connectError.split('\n')[0] || 'cannot connect'),
      hint: 'check that the server is running and the URL, user and password are right',
    },
  ];
  for (const id of Object.keys(TITLES) as CheckId[]) {
    if (id !== 'connectivity' && id !== 'backup_age' && id !== 'drill_age')
      checks.push(skipped(id, 'database unreachable'));
  }
  return checks;
}

/** Backup and drill age, read from the catalog (whether or not the database answered). */
async function backupChecks(
  opts: DoctorOptions,
  t: Thresholds,
  now: Date,
): Promise<{ backups: BackupsInfo | null; checks: CheckResult[] }> {
  if (opts.backups === false)
    return {
      backups: null,
      checks: [skipped('backup_age', 'backups not read'), skipped('drill_age', 'backups not read')],
    };
  try {
    const backups = await backupsInfo(opts.config, opts.target.env, opts.onBackups);
    return { backups, checks: [backupAge(backups, t, now), drillAge(backups, t, now)] };
  } catch (err) {
    const msg = `cannot read the backup catalog: ${(err as Error).message}`;
    return { backups: null, checks: [skipped('backup_age', msg), skipped('drill_age', msg)] };
  }
}

function overallStatus(checks: CheckResult[]): DoctorReport['status'] {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  return checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
}

/** Runs a probe; on failure records its checks as skipped and returns undefined. */
async function probe<T>(checks: CheckResult[], ids: CheckId[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    // A lost connection is not a per-check problem: let the whole run report the database as down.
    const code = (err as { code?: string }).code;
    const msg = (err as Error).message ?? '';
    if (code === '57P01' || code === 'ECONNRESET' || /Connection terminated|not queryable/i.test(msg))
      throw err;
    for (const id of ids) checks.push(skipped(id, msg));
    return undefined;
  }
}

async function databaseProbes(
  c: pg.Client,
  t: Thresholds,
  now: Date,
  checks: CheckResult[],
  latencyMs: number,
  share: ServerShare | undefined,
): Promise<{ figures: Figures | null; top: TopQuery[] | null }> {
  const info = await serverInfo(c);
  checks.push(server.serverVersion(info, t, now));
  const scan = () => activity(c, info.versionNum);
  const act = await probe(
    checks,
    ['connections', 'idle_in_transaction', 'long_queries', 'blocking_locks'],
    share ? () => share.activity(info.key, info.pid, scan) : scan,
  );
  if (act) {
    checks.push(
      server.connections(act, info, t),
      server.idleInTransaction(act, t),
      server.longQueries(act, t),
      server.blockingLocks(act, t),
    );
  }
  const stats = await probe(checks, ['cache_hit_ratio'], () => databaseStats(c));
  if (stats) checks.push(storage.cacheHitRatio(stats, t));
  const wrap = await probe(checks, ['wraparound'], () => wraparound(c));
  if (wrap) checks.push(storage.wraparoundCheck(wrap, t));
  const seqs = await probe(checks, ['sequences'], () => sequences(c));
  if (seqs) checks.push(storage.sequencesCheck(seqs, t));
  const dead = await probe(checks, ['dead_tuples'], () => deadTuples(c, t.deadTuples.minDead));
  if (dead) checks.push(storage.deadTuplesCheck(dead, t));
  const invalid = await probe(checks, ['invalid_indexes'], () => invalidIndexes(c));
  if (invalid) checks.push(storage.invalidIndexesCheck(invalid));
  const unused = await probe(checks, ['unused_indexes'], () => unusedIndexes(c, t.unusedIndexMinBytes));
  if (unused) checks.push(storage.unusedIndexesCheck(unused, t));
  const repl = await probe(checks, ['replication_lag', 'replication_slots'], () =>
    replication(c, info.versionNum, info.inRecovery),
  );
  if (repl) checks.push(replicationLag(repl, info.inRecovery, t), replicationSlots(repl, t));
  let top: TopQuery[] | null = null;
  if (t.topQueries > 0 && !t.disabled.includes('top_queries')) {
    const st = await probe(checks, ['top_queries'], () => topStatements(c, t.topQueries));
    if (st) {
      checks.push(topQueries(st));
      if (st.installed) top = st.top;
    }
  }
  const cp = await probe(checks, [], () => checkpoints(c, info.versionNum));
  if (!(await readsAllStats(c).catch(() => true))) markPartial(checks);
  const figures = figuresOf({ info, latencyMs, act, stats, wrap, seqs, repl, cp });
  return { figures, top };
}

/** What the probes read, for the figures /metrics and JSON report; each is undefined when its probe failed. */
interface ProbeReadings {
  info: Awaited<ReturnType<typeof serverInfo>>;
  latencyMs: number;
  act: Awaited<ReturnType<typeof activity>> | undefined;
  stats: Awaited<ReturnType<typeof databaseStats>> | undefined;
  wrap: Awaited<ReturnType<typeof wraparound>> | undefined;
  seqs: Awaited<ReturnType<typeof sequences>> | undefined;
  repl: Awaited<ReturnType<typeof replication>> | undefined;
  cp: Awaited<ReturnType<typeof checkpoints>> | undefined;
}

function figuresOf({ info, latencyMs, act, stats, wrap, seqs, repl, cp }: ProbeReadings): Figures {
  return {
    serverVersionNum: info.versionNum,
    serverVersion: info.version,
    inRecovery: info.inRecovery,
    latencyMs,
    maxConnections: info.maxConnections,
    connectionsByState: act?.byState ?? {},
    databaseSizeBytes: stats?.sizeBytes ?? 0,
    xactCommit: stats?.xactCommit ?? 0,
    xactRollback: stats?.xactRollback ?? 0,
    blksRead: stats?.blksRead ?? 0,
    blksHit: stats?.blksHit ?? 0,
    deadlocks: stats?.deadlocks ?? 0,
    tempBytes: stats?.tempBytes ?? 0,
    conflicts: stats?.conflicts ?? 0,
    cacheHitRatio:
      stats && stats.blksHit + stats.blksRead > 0 ? stats.blksHit / (stats.blksHit + stats.blksRead) : null,
    xidAge: wrap?.xid.age ?? 0,
    mxidAge: wrap?.mxid.age ?? 0,
    longestIdleInTransactionMs: Math.max(
      0,
      ...(act?.sessions.filter((s) => s.state.startsWith('idle in transaction')).map((s) => s.stateMs) ?? []),
    ),
    longestQueryMs: Math.max(
      0,
      ...(act?.sessions.filter((s) => s.state === 'active').map((s) => s.queryMs) ?? []),
    ),
    longestLockWaitMs: act?.waits[0]?.waitMs ?? 0,
    lockWaiters: act?.waits.length ?? 0,
    sequenceMaxUsedRatio: seqs?.[0]?.usedRatio ?? 0,
    replication: repl?.standbys.map((s) => ({ name: s.name, lagMs: s.lagMs, lagBytes: s.lagBytes })) ?? [],
    replicaLagMs: repl?.replicaLagMs ?? null,
    slots: repl?.slots.map((s) => ({ name: s.name, active: s.active, retainedBytes: s.retainedBytes })) ?? [],
    checkpointsTimed: cp?.timed ?? null,
    checkpointsRequested: cp?.requested ?? null,
  };
}
