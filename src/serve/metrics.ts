// /metrics in the Prometheus text format (0.0.4): `pgward_` prefix, base units (seconds, bytes, ratios),
// counters ending in _total, one HELP and TYPE per family, low-cardinality labels only (no query text).
// Figures that could not be read are left out rather than reported as 0.
import { PGWARD_VERSION } from '../version.js';
import type { Snapshot } from './state.js';

type Labels = Record<string, string>;
type Sample = [Labels, number | null | undefined];

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

class Writer {
  private readonly out: string[] = [];
  family(name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): void {
    const kept = samples.filter(([, v]) => v !== null && v !== undefined && Number.isFinite(v));
    if (kept.length === 0) return;
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of kept) {
      const l = Object.entries(labels)
        .map(([k, x]) => `${k}="${esc(x)}"`)
        .join(',');
      this.out.push(`${name}${l ? `{${l}}` : ''} ${v}`);
    }
  }
  gauges(name: string, help: string, samples: Sample[]): void {
    this.family(name, 'gauge', help, samples);
  }
  gauge(name: string, help: string, v: number | null | undefined, labels: Labels = {}): void {
    this.family(name, 'gauge', help, [[labels, v]]);
  }
  counter(name: string, help: string, v: number | null | undefined): void {
    this.family(name, 'counter', help, [[{}, v]]);
  }
  text(): string {
    return `${this.out.join('\n')}\n`;
  }
}

const ts = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : null);
const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : ms / 1000);

export function renderMetrics(snap: Snapshot): string {
  const w = new Writer();
  const r = snap.report;
  const now = Date.parse(snap.refreshedAt);
  w.gauge('pgward_info', 'pgward version, always 1.', 1, { version: PGWARD_VERSION });
  w.gauge('pgward_database_up', '1 when the database answered the last refresh.', snap.connected ? 1 : 0);
  w.gauge('pgward_refresh_timestamp_seconds', 'When the figures were last refreshed.', now / 1000);
  w.gauge(
    'pgward_refresh_duration_seconds',
    'How long the last refresh took.',
    snap.lastRefreshDurationMs / 1000,
  );
  w.counter('pgward_refreshes_total', 'Refreshes since this process started.', snap.refreshes);
  w.counter(
    'pgward_refresh_errors_total',
    'Refreshes that could not reach the database.',
    snap.refreshErrors,
  );
  w.gauges(
    'pgward_doctor_check_status',
    'Doctor check state: 1 for the current status of each check, 0 for the others.',
    r.checks.flatMap((c) =>
      (['pass', 'warn', 'fail', 'skip'] as const).map(
        (st): Sample => [{ check: c.id, status: st }, c.status === st ? 1 : 0],
      ),
    ),
  );
  const m = r.migrations;
  if (snap.connected && m) {
    w.gauge('pgward_migrations_pending', 'Migrations in the files but not applied.', m.pending.length);
    w.gauge(
      'pgward_migrations_pending_age_seconds',
      'How long the oldest pending migration has been pending.',
      s(m.oldestPendingMs) ?? 0,
    );
    w.gauge('pgward_migrations_applied', 'Applied migrations in the tracking table.', m.applied);
    w.gauge(
      'pgward_migrations_attention',
      'Drifted, missing, partial or failed migrations.',
      m.attention.length,
    );
  }
  const b = r.backups;
  if (b) {
    w.gauge('pgward_backups', 'Backups of this environment in the catalog.', b.count);
    w.gauge(
      'pgward_backup_last_success_timestamp_seconds',
      'When the newest backup finished.',
      ts(b.lastSuccessAt),
    );
    w.gauge(
      'pgward_backup_last_age_seconds',
      'Age of the newest backup.',
      b.lastSuccessAt ? (now - Date.parse(b.lastSuccessAt)) / 1000 : null,
    );
    w.gauge('pgward_backup_last_size_bytes', 'Archive size of the newest backup.', b.lastSizeBytes);
    w.gauge(
      'pgward_backup_last_drill_success',
      '1 when the most recent restore drill passed, 0 when it failed.',
      b.lastDrill ? (b.lastDrill.ok ? 1 : 0) : null,
    );
    w.gauge(
      'pgward_backup_last_drill_passed_timestamp_seconds',
      'When a restore drill last passed.',
      ts(b.lastDrillPassedAt),
    );
  }
  const f = r.figures;
  if (snap.connected && f) {
    w.gauge('pgward_server_info', 'PostgreSQL server version, always 1.', 1, {
      version: f.serverVersion,
      version_num: String(f.serverVersionNum),
    });
    w.gauge('pgward_in_recovery', '1 when the server is a standby.', f.inRecovery ? 1 : 0);
    w.gauge('pgward_connect_latency_seconds', 'Round trip of SELECT 1.', f.latencyMs / 1000);
    w.gauges(
      'pgward_connections',
      'Client connections by state (whole server).',
      Object.entries(f.connectionsByState).map(([state, n]): Sample => [{ state }, n]),
    );
    w.gauge('pgward_connections_max', 'max_connections.', f.maxConnections);
    w.gauge('pgward_database_size_bytes', 'Size of the database.', f.databaseSizeBytes);
    w.gauge(
      'pgward_cache_hit_ratio',
      'Block reads served from shared buffers since the statistics reset.',
      f.cacheHitRatio,
    );
    w.counter(
      'pgward_transactions_committed_total',
      'Committed transactions in this database.',
      f.xactCommit,
    );
    w.counter(
      'pgward_transactions_rolled_back_total',
      'Rolled back transactions in this database.',
      f.xactRollback,
    );
    w.counter(
      'pgward_blocks_read_total',
      'Blocks read from disk (or the OS cache) in this database.',
      f.blksRead,
    );
    w.counter('pgward_blocks_hit_total', 'Blocks found in shared buffers in this database.', f.blksHit);
    w.counter('pgward_deadlocks_total', 'Deadlocks detected in this database.', f.deadlocks);
    w.counter('pgward_temp_bytes_total', 'Bytes written to temporary files in this database.', f.tempBytes);
    w.counter('pgward_conflicts_total', 'Queries cancelled by recovery conflicts (standby).', f.conflicts);
    w.counter('pgward_checkpoints_timed_total', 'Scheduled checkpoints.', f.checkpointsTimed);
    w.counter('pgward_checkpoints_requested_total', 'Requested checkpoints.', f.checkpointsRequested);
    w.gauge(
      'pgward_transaction_id_age',
      'Oldest unfrozen transaction ID age over all databases (wraparound near 2^31).',
      f.xidAge,
    );
    w.gauge('pgward_multixact_id_age', 'Oldest multixact ID age over all databases.', f.mxidAge);
    w.gauge(
      'pgward_idle_in_transaction_longest_seconds',
      'Longest session idle in a transaction.',
      f.longestIdleInTransactionMs / 1000,
    );
    w.gauge('pgward_query_longest_seconds', 'Longest running query.', f.longestQueryMs / 1000);
    w.gauge('pgward_lock_wait_longest_seconds', 'Longest wait for a lock.', f.longestLockWaitMs / 1000);
    w.gauge('pgward_lock_waiting_sessions', 'Sessions waiting for a lock.', f.lockWaiters);
    w.gauge(
      'pgward_sequence_max_used_ratio',
      'Fraction used of the most used sequence (or its column type).',
      f.sequenceMaxUsedRatio,
    );
    w.gauges(
      'pgward_replication_lag_seconds',
      'Replay lag of each standby (primary side).',
      f.replication.map((x): Sample => [{ standby: x.name }, s(x.lagMs) ?? 0]),
    );
    w.gauges(
      'pgward_replication_lag_bytes',
      'WAL not yet replayed by each standby.',
      f.replication.map((x): Sample => [{ standby: x.name }, x.lagBytes]),
    );
    w.gauge(
      'pgward_replica_lag_seconds',
      'Replay lag of this server when it is a standby.',
      s(f.replicaLagMs),
    );
    w.gauges(
      'pgward_replication_slot_retained_bytes',
      'WAL retained by each replication slot.',
      f.slots.map((x): Sample => [{ slot: x.name }, x.retainedBytes]),
    );
    w.gauges(
      'pgward_replication_slot_active',
      '1 when the slot has a consumer connected.',
      f.slots.map((x): Sample => [{ slot: x.name }, x.active ? 1 : 0]),
    );
  }
  const jobs = snap.jobs;
  w.gauges(
    'pgward_job_last_run_timestamp_seconds',
    'When each scheduled job last started.',
    jobs.map((j): Sample => [{ job: j.job }, ts(j.last?.startedAt)]),
  );
  w.gauges(
    'pgward_job_last_success_timestamp_seconds',
    'When each scheduled job last succeeded.',
    jobs.map((j): Sample => [{ job: j.job }, ts(j.lastOkAt)]),
  );
  w.gauges(
    'pgward_job_last_run_success',
    '1 when the last run of the job succeeded, 0 when it failed.',
    jobs
      .filter((j) => j.last && j.last.outcome !== 'running')
      .map((j): Sample => [{ job: j.job }, j.last?.outcome === 'ok' ? 1 : 0]),
  );
  w.gauges(
    'pgward_job_next_run_timestamp_seconds',
    'Next scheduled run of each job.',
    jobs.map((j): Sample => [{ job: j.job }, ts(j.nextRunAt)]),
  );
  w.gauge('pgward_alerts_active', 'Alert conditions currently raised.', snap.alerts.length);
  return w.text();
}
