// /health and /health/migrations bodies, on the seed's format: status ok / degraded / down, database
// connected / unreachable, migrations { pending_count, status, pending_migrations }, plus backups, jobs,
// alerts and every doctor check. Warnings alone do not degrade: a failing check, pending or drifted
// migrations, a failed last job run, or an active alert do.
import type { Snapshot } from './state.js';

const secs = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : Math.round(ms / 1000);

export function healthStatus(s: Snapshot): 'ok' | 'degraded' | 'down' {
  if (!s.connected) return 'down';
  const r = s.report;
  const m = r.migrations;
  if (r.checks.some((c) => c.status === 'fail')) return 'degraded';
  if (m && (m.pending.length > 0 || m.attention.length > 0)) return 'degraded';
  if (s.jobs.some((j) => j.last?.outcome === 'failed')) return 'degraded';
  if (s.alerts.length > 0) return 'degraded';
  return 'ok';
}

export function migrationsBody(s: Snapshot): Record<string, unknown> {
  const m = s.report.migrations;
  if (!s.connected || !m) {
    const error = s.report.checks.find((c) => c.id === 'migrations')?.summary ?? 'database unreachable';
    return { pending_count: null, status: 'unknown', pending_migrations: [], error };
  }
  return {
    pending_count: m.pending.length,
    status: m.attention.length ? 'attention' : m.pending.length ? 'pending' : 'up_to_date',
    pending_migrations: m.pending.map((p) => ({
      version: p.version,
      name: p.name,
      pending_since: p.pendingSince,
    })),
    oldest_pending_seconds: secs(m.oldestPendingMs),
    attention: m.attention,
    applied_count: m.applied,
    framework: m.framework,
    tracking_table: m.trackingTable,
  };
}

export function summaryBody(s: Snapshot): Record<string, unknown> {
  const m = migrationsBody(s);
  return {
    status: healthStatus(s),
    database: s.connected ? 'connected' : 'unreachable',
    migrations: { pending_count: m.pending_count, status: m.status },
    checked_at: s.refreshedAt,
  };
}

export function healthBody(s: Snapshot): Record<string, unknown> {
  const r = s.report;
  const b = r.backups;
  const now = Date.parse(s.refreshedAt);
  return {
    status: healthStatus(s),
    database: s.connected ? 'connected' : 'unreachable',
    env: s.env,
    checked_at: s.refreshedAt,
    server_version: r.figures?.serverVersion ?? null,
    migrations: migrationsBody(s),
    backups: b
      ? {
          count: b.count,
          last_success_at: b.lastSuccessAt,
          last_success_age_seconds: b.lastSuccessAt ? secs(now - Date.parse(b.lastSuccessAt)) : null,
          last_size_bytes: b.lastSizeBytes,
          last_drill_passed_at: b.lastDrillPassedAt,
          last_drill: b.lastDrill
            ? { at: b.lastDrill.at, ok: b.lastDrill.ok, backup_id: b.lastDrill.backupId }
            : null,
          storage: b.storage,
        }
      : null,
    checks: Object.fromEntries(
      r.checks.map((c) => [
        c.id,
        {
          status: c.status,
          summary: c.summary,
          ...(c.value !== undefined ? { value: c.value, unit: c.unit } : {}),
        },
      ]),
    ),
    jobs: Object.fromEntries(
      s.jobs.map((j) => [
        j.job,
        {
          schedule: j.schedule,
          next_run_at: j.nextRunAt,
          last_run: j.last
            ? {
                scheduled_for: j.last.scheduledFor,
                started_at: j.last.startedAt,
                finished_at: j.last.finishedAt,
                outcome: j.last.outcome,
                error: j.last.error,
                runner: j.last.runner,
              }
            : null,
          last_success_at: j.lastOkAt,
        },
      ]),
    ),
    alerts: s.alerts,
    refresh: {
      interval_seconds: s.refreshMs / 1000,
      last_duration_ms: s.lastRefreshDurationMs,
    },
  };
}
