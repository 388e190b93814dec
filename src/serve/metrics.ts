// /metrics in the Prometheus text format (0.0.4): `pgward_` prefix, base units (seconds, bytes, ratios),
// counters ending in _total, one HELP and TYPE per family, low-cardinality labels only (no query text).
// Figures that could not be read are left out rather than reported as 0.
//
// Why a small hand-written writer and not prom-client: serve renders /metrics once per background
// refresh from an immutable snapshot (scrapes never touch the database), so there is no live registry to
// update, only a snapshot to print. A table of metric definitions (name, type, help, value from the
// snapshot) printed by a 20-line writer does that with no dependency, and keeps the output exactly what
// promtool already validates (prom-client would print empty families and its own ordering).
import type { BackupsInfo, Figures, MigrationsInfo } from '../doctor/types.js';
import { PGWARD_VERSION } from '../version.js';
import type { Snapshot } from './state.js';

type Labels = Record<string, string>;
type Sample = [Labels, number | null | undefined];
/** One unlabelled value, or one sample per label set. */
type Value = number | null | undefined | Sample[];

/** A metric family: what it is called, what it means, and how to read it from its source. */
interface MetricDef<T> {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  value: (source: T, now: number) => Value;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const ts = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : null);
const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : ms / 1000);
const gauge = <T>(name: string, help: string, value: MetricDef<T>['value']): MetricDef<T> => ({
  name,
  type: 'gauge',
  help,
  value,
});
const counter = <T>(name: string, help: string, value: MetricDef<T>['value']): MetricDef<T> => ({
  name,
  type: 'counter',
  help,
  value,
});

/** One metric family as printed: its HELP and TYPE lines, then its samples. */
export interface Family {
  head: string;
  lines: string[];
}

/** Adds the families of one source; a family with no finite value is left out entirely. */
function writeFamilies<T>(
  out: Map<string, Family>,
  defs: MetricDef<T>[],
  source: T | null | undefined,
  now: number,
  extra: Labels,
): void {
  if (source === null || source === undefined) return;
  for (const def of defs) {
    const v = def.value(source, now);
    const samples: Sample[] = Array.isArray(v) ? v : [[{}, v]];
    const kept = samples.filter(([, x]) => x !== null && x !== undefined && Number.isFinite(x));
    if (kept.length === 0) continue;
    const lines = kept.map(([labels, x]) => {
      const l = Object.entries({ ...extra, ...labels })
        .map(([k, text]) => `${k}="${esc(text)}"`)
        .join(',');
      return `${def.name}${l ? `{${l}}` : ''} ${x}`;
    });
    out.set(def.name, { head: `# HELP ${def.name} ${def.help}\n# TYPE ${def.name} ${def.type}`, lines });
  }
}

/** The families of one snapshot; `extra` labels every sample (serving several environments: env). */
export function metricFamilies(snap: Snapshot, extra: Labels = {}): Map<string, Family> {
  const out = new Map<string, Family>();
  const now = Date.parse(snap.refreshedAt);
  const r = snap.report;
  // Database figures only when the last refresh reached the database: stale ones would look current.
  writeFamilies(out, PROCESS, snap, now, extra);
  writeFamilies(out, MIGRATIONS, snap.connected ? r.migrations : null, now, extra);
  writeFamilies(out, BACKUPS, r.backups, now, extra);
  writeFamilies(out, SERVER, snap.connected ? r.figures : null, now, extra);
  writeFamilies(out, SCHEDULE, snap, now, extra);
  return out;
}

/** Several sources' families as one exposition: each family's HELP and TYPE once, its samples together. */
export function joinFamilies(sources: Iterable<Map<string, Family>>): string {
  const merged = new Map<string, string[]>();
  const heads = new Map<string, string>();
  for (const fams of sources)
    for (const [name, f] of fams) {
      if (!heads.has(name)) {
        heads.set(name, f.head);
        merged.set(name, []);
      }
      merged.get(name)!.push(...f.lines);
    }
  const out: string[] = [];
  for (const [name, head] of heads) out.push(head, ...merged.get(name)!);
  return `${out.join('\n')}\n`;
}

export function renderMetrics(snap: Snapshot): string {
  return joinFamilies([metricFamilies(snap)]);
}

const PROCESS: MetricDef<Snapshot>[] = [
  gauge('pgward_info', 'pgward version, always 1.', () => [[{ version: PGWARD_VERSION }, 1]]),
  gauge('pgward_database_up', '1 when the database answered the last refresh.', (x) => (x.connected ? 1 : 0)),
  gauge('pgward_refresh_timestamp_seconds', 'When the figures were last refreshed.', (_, now) => now / 1000),
  gauge(
    'pgward_refresh_duration_seconds',
    'How long the last refresh took.',
    (x) => x.lastRefreshDurationMs / 1000,
  ),
  counter('pgward_refreshes_total', 'Refreshes since this process started.', (x) => x.refreshes),
  counter(
    'pgward_refresh_errors_total',
    'Refreshes that could not reach the database.',
    (x) => x.refreshErrors,
  ),
  gauge(
    'pgward_doctor_check_status',
    'Doctor check state: 1 for the current status of each check, 0 for the others.',
    (x) =>
      x.report.checks.flatMap((c) =>
        (['pass', 'warn', 'fail', 'skip'] as const).map(
          (st): Sample => [{ check: c.id, status: st }, c.status === st ? 1 : 0],
        ),
      ),
  ),
];

const MIGRATIONS: MetricDef<MigrationsInfo>[] = [
  gauge('pgward_migrations_pending', 'Migrations in the files but not applied.', (m) => m.pending.length),
  gauge(
    'pgward_migrations_pending_age_seconds',
    'How long the oldest pending migration has been pending.',
    (m) => s(m.oldestPendingMs) ?? 0,
  ),
  gauge('pgward_migrations_applied', 'Applied migrations in the tracking table.', (m) => m.applied),
  gauge(
    'pgward_migrations_attention',
    'Drifted, missing, partial or failed migrations.',
    (m) => m.attention.length,
  ),
];

const BACKUPS: MetricDef<BackupsInfo>[] = [
  gauge('pgward_backups', 'Backups of this environment in the catalog.', (b) => b.count),
  gauge('pgward_backup_last_success_timestamp_seconds', 'When the newest backup finished.', (b) =>
    ts(b.lastSuccessAt),
  ),
  gauge('pgward_backup_last_age_seconds', 'Age of the newest backup.', (b, now) =>
    b.lastSuccessAt ? (now - Date.parse(b.lastSuccessAt)) / 1000 : null,
  ),
  gauge('pgward_backup_last_size_bytes', 'Archive size of the newest backup.', (b) => b.lastSizeBytes),
  gauge(
    'pgward_backup_last_drill_success',
    '1 when the most recent restore drill passed, 0 when it failed.',
    (b) => (b.lastDrill ? (b.lastDrill.ok ? 1 : 0) : null),
  ),
  gauge('pgward_backup_last_drill_passed_timestamp_seconds', 'When a restore drill last passed.', (b) =>
    ts(b.lastDrillPassedAt),
  ),
];

const SERVER: MetricDef<Figures>[] = [
  gauge('pgward_server_info', 'PostgreSQL server version, always 1.', (f) => [
    [{ version: f.serverVersion, version_num: String(f.serverVersionNum) }, 1],
  ]),
  gauge('pgward_in_recovery', '1 when the server is a standby.', (f) => (f.inRecovery ? 1 : 0)),
  gauge('pgward_connect_latency_seconds', 'Round trip of SELECT 1.', (f) => f.latencyMs / 1000),
  gauge('pgward_connections', 'Client connections by state (whole server).', (f) =>
    Object.entries(f.connectionsByState).map(([state, n]): Sample => [{ state }, n]),
  ),
  gauge('pgward_connections_max', 'max_connections.', (f) => f.maxConnections),
  gauge('pgward_database_size_bytes', 'Size of the database.', (f) => f.databaseSizeBytes),
  gauge(
    'pgward_cache_hit_ratio',
    'Block reads served from shared buffers since the statistics reset.',
    (f) => f.cacheHitRatio,
  ),
  counter(
    'pgward_transactions_committed_total',
    'Committed transactions in this database.',
    (f) => f.xactCommit,
  ),
  counter(
    'pgward_transactions_rolled_back_total',
    'Rolled back transactions in this database.',
    (f) => f.xactRollback,
  ),
  counter(
    'pgward_blocks_read_total',
    'Blocks read from disk (or the OS cache) in this database.',
    (f) => f.blksRead,
  ),
  counter('pgward_blocks_hit_total', 'Blocks found in shared buffers in this database.', (f) => f.blksHit),
  counter('pgward_deadlocks_total', 'Deadlocks detected in this database.', (f) => f.deadlocks),
  counter(
    'pgward_temp_bytes_total',
    'Bytes written to temporary files in this database.',
    (f) => f.tempBytes,
  ),
  counter('pgward_conflicts_total', 'Queries cancelled by recovery conflicts (standby).', (f) => f.conflicts),
  counter('pgward_checkpoints_timed_total', 'Scheduled checkpoints.', (f) => f.checkpointsTimed),
  counter('pgward_checkpoints_requested_total', 'Requested checkpoints.', (f) => f.checkpointsRequested),
  gauge(
    'pgward_transaction_id_age',
    'Oldest unfrozen transaction ID age over all databases (wraparound near 2^31).',
    (f) => f.xidAge,
  ),
  gauge('pgward_multixact_id_age', 'Oldest multixact ID age over all databases.', (f) => f.mxidAge),
  gauge(
    'pgward_idle_in_transaction_longest_seconds',
    'Longest session idle in a transaction.',
    (f) => f.longestIdleInTransactionMs / 1000,
  ),
  gauge('pgward_query_longest_seconds', 'Longest running query.', (f) => f.longestQueryMs / 1000),
  gauge('pgward_lock_wait_longest_seconds', 'Longest wait for a lock.', (f) => f.longestLockWaitMs / 1000),
  gauge('pgward_lock_waiting_sessions', 'Sessions waiting for a lock.', (f) => f.lockWaiters),
  gauge(
    'pgward_sequence_max_used_ratio',
    'Fraction used of the most used sequence (or its column type).',
    (f) => f.sequenceMaxUsedRatio,
  ),
  gauge('pgward_replication_lag_seconds', 'Replay lag of each standby (primary side).', (f) =>
    f.replication.map((x): Sample => [{ standby: x.name }, s(x.lagMs) ?? 0]),
  ),
  gauge('pgward_replication_lag_bytes', 'WAL not yet replayed by each standby.', (f) =>
    f.replication.map((x): Sample => [{ standby: x.name }, x.lagBytes]),
  ),
  gauge('pgward_replica_lag_seconds', 'Replay lag of this server when it is a standby.', (f) =>
    s(f.replicaLagMs),
  ),
  gauge('pgward_replication_slot_retained_bytes', 'WAL retained by each replication slot.', (f) =>
    f.slots.map((x): Sample => [{ slot: x.name }, x.retainedBytes]),
  ),
  gauge('pgward_replication_slot_active', '1 when the slot has a consumer connected.', (f) =>
    f.slots.map((x): Sample => [{ slot: x.name }, x.active ? 1 : 0]),
  ),
];

const SCHEDULE: MetricDef<Snapshot>[] = [
  gauge('pgward_job_last_run_timestamp_seconds', 'When each scheduled job last started.', (x) =>
    x.jobs.map((j): Sample => [{ job: j.job }, ts(j.last?.startedAt)]),
  ),
  gauge('pgward_job_last_success_timestamp_seconds', 'When each scheduled job last succeeded.', (x) =>
    x.jobs.map((j): Sample => [{ job: j.job }, ts(j.lastOkAt)]),
  ),
  gauge('pgward_job_last_run_success', '1 when the last run of the job succeeded, 0 when it failed.', (x) =>
    x.jobs
      .filter((j) => j.last && j.last.outcome !== 'running')
      .map((j): Sample => [{ job: j.job }, j.last?.outcome === 'ok' ? 1 : 0]),
  ),
  gauge('pgward_job_next_run_timestamp_seconds', 'Next scheduled run of each job.', (x) =>
    x.jobs.map((j): Sample => [{ job: j.job }, ts(j.nextRunAt)]),
  ),
  gauge('pgward_alerts_active', 'Alert conditions currently raised.', (x) => x.alerts.length),
];
