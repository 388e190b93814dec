// Checks on replication, top statements, migrations and backups.
import { formatBytes, formatDuration, SUMMARY } from '../format/units.js';
import type { Replication } from './probe-replication.js';
import type { Statements } from './probe-statements.js';
import { judgeHigh, type Thresholds } from './thresholds.js';
import type { BackupsInfo, CheckResult, MigrationsInfo } from './types.js';

export function replicationLag(r: Replication, inRecovery: boolean, t: Thresholds): CheckResult {
  const base = { id: 'replication_lag' as const, title: 'Replication lag', unit: 'ms' as const };
  if (inRecovery) {
    const lag = r.replicaLagMs ?? 0;
    const status = judgeHigh(lag, t.replicationLagMs);
    return {
      ...base,
      status,
      value: lag,
      summary: `standby, replaying ${formatDuration(lag, SUMMARY)} behind its primary`,
    };
  }
  if (r.standbys.length === 0)
    return { ...base, status: 'pass', value: null, summary: 'no standby connected' };
  const worst = Math.max(...r.standbys.map((s) => s.lagMs ?? 0));
  const status = judgeHigh(worst, t.replicationLagMs);
  return {
    ...base,
    status,
    value: worst,
    summary: `${r.standbys.length} standby(s), worst replay lag ${formatDuration(worst, SUMMARY)} (warn ≥ ${formatDuration(t.replicationLagMs.warn, SUMMARY)})`,
    details: r.standbys.map(
      (s) =>
        `${s.name} ${s.state ?? ''}: ${formatDuration(s.lagMs ?? 0, SUMMARY)}, ${formatBytes(s.lagBytes ?? 0)} behind`,
    ),
  };
}

export function replicationSlots(r: Replication, t: Thresholds): CheckResult {
  const base = { id: 'replication_slots' as const, title: 'Replication slots', unit: 'bytes' as const };
  if (r.slots.length === 0) return { ...base, status: 'pass', value: 0, summary: 'no replication slot' };
  const worst = Math.max(...r.slots.map((s) => s.retainedBytes ?? 0));
  const inactive = r.slots.filter((s) => !s.active);
  const lost = r.slots.filter((s) => s.walStatus === 'lost');
  let status = judgeHigh(worst, t.slotRetainedBytes);
  if (status === 'pass' && inactive.length) status = 'warn';
  if (lost.length) status = 'fail';
  return {
    ...base,
    status,
    value: worst,
    summary: `${r.slots.length} slot(s), ${inactive.length} inactive, most WAL retained ${formatBytes(worst)}${lost.length ? `, ${lost.length} lost` : ''}`,
    details: r.slots.map(
      (s) =>
        `${s.name} (${s.type}) ${s.active ? 'active' : `inactive${s.inactiveSince ? ` since ${s.inactiveSince}` : ''}`}, retains ${formatBytes(s.retainedBytes ?? 0)}${s.walStatus ? `, wal_status ${s.walStatus}` : ''}`,
    ),
    ...(status !== 'pass'
      ? {
          hint: 'an inactive slot keeps WAL forever: drop it with pg_drop_replication_slot() if its consumer is gone',
        }
      : {}),
  };
}

export function topQueries(s: Statements): CheckResult {
  const base = { id: 'top_queries' as const, title: 'Top queries by total time (pg_stat_statements)' };
  if (!s.installed) return { ...base, status: 'skip', summary: s.reason.split('\n')[0]! };
  return {
    ...base,
    status: 'pass',
    value: s.top.length,
    unit: 'count',
    summary: s.top.length ? `top ${s.top.length} statements by total time` : 'no statement recorded yet',
    details: s.top.map(
      (q) =>
        `${formatDuration(q.totalMs, SUMMARY)} total, ${q.calls} calls, ${formatDuration(q.meanMs, SUMMARY)} mean: ${q.query.slice(0, 100)}`,
    ),
  };
}

export function migrationsCheck(m: MigrationsInfo, t: Thresholds): CheckResult {
  const base = { id: 'migrations' as const, title: 'Pending migrations', unit: 'count' as const };
  if (m.attention.length) {
    return {
      ...base,
      status: 'fail',
      value: m.pending.length,
      summary: `${m.attention.length} migration(s) need attention (${[...new Set(m.attention.map((a) => a.state))].join(', ')})`,
      details: m.attention.map((a) => `${a.version} ${a.name}: ${a.state}`),
      hint: 'run `pgward status` for details',
    };
  }
  if (m.pending.length === 0)
    return {
      ...base,
      status: 'pass',
      value: 0,
      summary: `up to date (${m.applied} applied, ${m.trackingTable})`,
    };
  const age = m.oldestPendingMs;
  const status = age !== null && age >= t.pendingFailMs ? 'fail' : 'warn';
  return {
    ...base,
    status,
    value: m.pending.length,
    summary: `${m.pending.length} pending${age !== null ? `, oldest for ${formatDuration(age, SUMMARY)}` : ''} (fail after ${formatDuration(t.pendingFailMs, SUMMARY)})`,
    details: m.pending.map(
      (p) => `${p.version} ${p.name}${p.pendingSince ? ` pending since ${p.pendingSince}` : ''}`,
    ),
    hint:
      m.framework === 'pgward'
        ? 'apply them with `pgward migrate`'
        : `apply them with ${m.framework}'s migrator`,
  };
}

export function backupAge(b: BackupsInfo, t: Thresholds, now: Date): CheckResult {
  const base = { id: 'backup_age' as const, title: 'Last backup', unit: 'ms' as const };
  if (!b.lastSuccessAt)
    return {
      ...base,
      status: 'warn',
      value: null,
      summary: `no backup in ${b.storage}`,
      hint: 'take one with `pgward backup create` or schedule it',
    };
  const age = now.getTime() - Date.parse(b.lastSuccessAt);
  const status = judgeHigh(age, t.backupAgeMs);
  return {
    ...base,
    status,
    value: age,
    summary: `newest backup ${formatDuration(age, SUMMARY)} old (${b.count} in catalog; warn ≥ ${formatDuration(t.backupAgeMs.warn, SUMMARY)}, fail ≥ ${formatDuration(t.backupAgeMs.fail, SUMMARY)})`,
    ...(status !== 'pass' ? { hint: 'check the backup schedule and `pgward jobs`' } : {}),
  };
}

export function drillAge(b: BackupsInfo, t: Thresholds, now: Date): CheckResult {
  const base = { id: 'drill_age' as const, title: 'Last passed restore drill', unit: 'ms' as const };
  if (b.lastDrill && !b.lastDrill.ok) {
    return {
      ...base,
      status: 'fail',
      value: null,
      summary: `the latest restore drill (${b.lastDrill.at}, backup ${b.lastDrill.backupId}) FAILED${b.lastDrill.firstDifference ? `: ${b.lastDrill.firstDifference}` : ''}`,
      hint: '`pgward backup show <id>` for details; take and verify a new backup',
    };
  }
  if (!b.lastDrillPassedAt)
    return {
      ...base,
      status: 'warn',
      value: null,
      summary: 'no restore drill has passed yet',
      hint: 'run `pgward backup verify latest`',
    };
  const age = now.getTime() - Date.parse(b.lastDrillPassedAt);
  const status = judgeHigh(age, t.drillAgeMs);
  return {
    ...base,
    status,
    value: age,
    summary: `last passed drill ${formatDuration(age, SUMMARY)} ago (warn ≥ ${formatDuration(t.drillAgeMs.warn, SUMMARY)})`,
    ...(status !== 'pass'
      ? { hint: 'schedule `verify` in serve, or run `pgward backup verify latest`' }
      : {}),
  };
}
