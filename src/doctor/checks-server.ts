// Checks on the server and its sessions: connectivity, version end of life, connections, idle in
// transaction, long queries, blocking locks.

import { formatDuration, formatPercent, SUMMARY } from '../format/units.js';
import { eolOf, majorOf } from './eol.js';
import type { Activity } from './probe-activity.js';
import type { ServerInfo } from './probe-database.js';
import { judgeHigh, type Thresholds } from './thresholds.js';
import type { CheckResult } from './types.js';

const oneLine = (q: string) => q.replace(/\s+/g, ' ').trim().slice(0, 120);

export function connectivity(latencyMs: number, t: Thresholds): CheckResult {
  const status = judgeHigh(latencyMs, t.latencyMs);
  return {
    id: 'connectivity',
    title: 'Connectivity and latency',
    status,
    value: latencyMs,
    unit: 'ms',
    summary: `connected, SELECT 1 round trip ${formatDuration(latencyMs, SUMMARY)} (warn ≥ ${formatDuration(t.latencyMs.warn, SUMMARY)}, fail ≥ ${formatDuration(t.latencyMs.fail, SUMMARY)})`,
    ...(status !== 'pass'
      ? { hint: 'network distance or an overloaded server: check CPU and connection pooling' }
      : {}),
  };
}

export function serverVersion(s: ServerInfo, t: Thresholds, now: Date): CheckResult {
  const eol = eolOf(s.versionNum);
  const base = { id: 'server_version' as const, title: 'Server version and end of life' };
  if (!eol)
    return { ...base, status: 'pass', summary: `PostgreSQL ${s.version} (no end-of-life date known)` };
  const days = Math.floor((Date.parse(eol) - now.getTime()) / 86_400_000);
  const status = days < 0 ? 'fail' : days <= t.eolWarnDays ? 'warn' : 'pass';
  return {
    ...base,
    status,
    value: days,
    unit: 'days',
    summary:
      days < 0
        ? `PostgreSQL ${s.version}: major ${majorOf(s.versionNum)} reached end of life on ${eol}, no more security fixes`
        : `PostgreSQL ${s.version}: supported until ${eol} (${days} days)`,
    ...(status !== 'pass' ? { hint: 'plan a major upgrade (pg_upgrade or logical replication)' } : {}),
  };
}

export function connections(a: Activity, s: ServerInfo, t: Thresholds): CheckResult {
  // Reserved superuser slots are not available to applications: judge against what they can use.
  const usable = Math.max(1, s.maxConnections - s.reservedConnections);
  const ratio = a.clientConnections / usable;
  const status = judgeHigh(ratio, t.connections);
  const states = Object.entries(a.byState)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  return {
    id: 'connections',
    title: 'Connections',
    status,
    value: ratio,
    unit: 'ratio',
    summary: `${a.clientConnections} of ${usable} usable connections (${formatPercent(ratio)})${states ? `: ${states}` : ''}`,
    ...(status !== 'pass' ? { hint: 'use a connection pooler (PgBouncer) or lower the pool sizes' } : {}),
  };
}

export function idleInTransaction(a: Activity, t: Thresholds): CheckResult {
  const idle = a.sessions
    .filter((x) => x.state.startsWith('idle in transaction'))
    .sort((x, y) => y.stateMs - x.stateMs);
  const longest = idle[0]?.stateMs ?? 0;
  const status = idle.length ? judgeHigh(longest, t.idleInTransactionMs) : 'pass';
  return {
    id: 'idle_in_transaction',
    title: 'Sessions idle in transaction',
    status,
    value: longest,
    unit: 'ms',
    summary: idle.length
      ? `${idle.length} session(s) idle in transaction, longest ${formatDuration(longest, SUMMARY)} (warn ≥ ${formatDuration(t.idleInTransactionMs.warn, SUMMARY)})`
      : 'no session idle in transaction',
    details: idle
      .filter((x) => x.stateMs >= t.idleInTransactionMs.warn)
      .slice(0, 5)
      .map(
        (x) =>
          `pid ${x.pid} ${x.user ?? ''}@${x.datname ?? ''} idle ${formatDuration(x.stateMs, SUMMARY)}: ${oneLine(x.query)}`,
      ),
    ...(status !== 'pass'
      ? {
          hint: 'they hold locks and stop vacuum: fix the application, set idle_in_transaction_session_timeout',
        }
      : {}),
  };
}

export function longQueries(a: Activity, t: Thresholds): CheckResult {
  const active = a.sessions.filter((x) => x.state === 'active').sort((x, y) => y.queryMs - x.queryMs);
  const longest = active[0]?.queryMs ?? 0;
  const status = judgeHigh(longest, t.longQueryMs);
  return {
    id: 'long_queries',
    title: 'Long-running queries',
    status,
    value: longest,
    unit: 'ms',
    summary: active.length
      ? `${active.length} active quer${active.length === 1 ? 'y' : 'ies'}, longest running for ${formatDuration(longest, SUMMARY)} (warn ≥ ${formatDuration(t.longQueryMs.warn, SUMMARY)})`
      : 'no active query',
    details: active
      .filter((x) => x.queryMs >= t.longQueryMs.warn)
      .slice(0, 5)
      .map(
        (x) =>
          `pid ${x.pid} ${x.user ?? ''}@${x.datname ?? ''} running ${formatDuration(x.queryMs, SUMMARY)}: ${oneLine(x.query)}`,
      ),
    ...(status !== 'pass'
      ? { hint: 'pg_cancel_backend(pid) stops a query; set statement_timeout per role' }
      : {}),
  };
}

export function blockingLocks(a: Activity, t: Thresholds): CheckResult {
  const longest = a.waits[0]?.waitMs ?? 0;
  const status = a.waits.length ? judgeHigh(longest, t.lockWaitMs) : 'pass';
  return {
    id: 'blocking_locks',
    title: 'Blocking locks',
    status,
    value: longest,
    unit: 'ms',
    summary: a.waits.length
      ? `${a.waits.length} session(s) waiting for a lock, longest for ${formatDuration(longest, SUMMARY)} (warn ≥ ${formatDuration(t.lockWaitMs.warn, SUMMARY)})`
      : 'no session waiting for a lock',
    details: a.waits
      .slice(0, 5)
      .flatMap((w) => [
        `pid ${w.pid} ${w.user ?? ''} waiting ${formatDuration(w.waitMs, SUMMARY)}: ${oneLine(w.query)}`,
        ...w.blockers.map(
          (b) => `  blocked by pid ${b.pid} ${b.user ?? ''} (${b.state ?? '?'}): ${oneLine(b.query)}`,
        ),
      ]),
    ...(status !== 'pass'
      ? { hint: 'end the blocker with pg_terminate_backend(pid) if it is stuck; use lock_timeout for DDL' }
      : {}),
  };
}
