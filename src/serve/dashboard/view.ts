// The dashboard's view model: everything a page shows, derived once per refresh from the snapshot
// (sorted lists, the job calendar, the chart series as JSON), so a page load only slices and escapes.
import type { BackupsInfo, CheckResult, MigrationsInfo } from '../../doctor/types.js';
import { healthStatus } from '../health.js';
import type { JobState, Snapshot } from '../state.js';
import type {
  AppliedMigrationRow,
  ApprovalRow,
  BackupEntry,
  DashboardData,
  DeployRow,
  JobRunRow,
} from './collect.js';
import type { PendingGate } from './gates.js';

export interface PendingRow {
  version: string;
  name: string;
  pendingSince: string | null;
  /** An approval recorded for this version (who, when, which findings), if any. */
  approval: ApprovalRow | null;
  /** What `pgward migrate` would decide for it now (pgward migrations only). */
  gate: PendingGate | null;
}

export interface CalendarRow {
  job: string;
  cells: { ok: number; failed: number; skipped: number }[];
}

export interface DrillPoint {
  at: string;
  backupId: string;
  ok: boolean;
  durationMs: number;
}

export interface DashboardView {
  env: string;
  label: string | null;
  status: 'ok' | 'degraded' | 'down';
  refreshedAt: string;
  serverVersion: string | null;
  alerts: string[];
  migrations: {
    info: MigrationsInfo | null;
    pending: PendingRow[];
    applied: AppliedMigrationRow[];
  };
  backups: { info: BackupsInfo | null; list: BackupEntry[]; drills: DrillPoint[] };
  jobs: {
    schedules: JobState[];
    runs: JobRunRow[];
    failures: JobRunRow[];
    days: string[];
    calendar: CalendarRow[];
  };
  checks: CheckResult[];
  rehearsal: DashboardData['rehearsal'];
  deploys: DeployRow[];
  /** Chart series, JSON already escaped for a <script type="application/json"> block. */
  chartsJson: string;
  errors: string[];
}

export const CALENDAR_DAYS = 28;
const DAY_MS = 86_400_000;

/** JSON that cannot end a <script> block nor open a comment in it: <, >, & and line separators escaped. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function calendar(runs: JobRunRow[], jobs: string[], now: number): { days: string[]; rows: CalendarRow[] } {
  const today = Math.floor(now / DAY_MS);
  const first = today - CALENDAR_DAYS + 1;
  const days = Array.from({ length: CALENDAR_DAYS }, (_, i) =>
    new Date((first + i) * DAY_MS).toISOString().slice(0, 10),
  );
  const names = [...new Set([...jobs, ...runs.map((r) => r.job)])].sort();
  const rows = new Map<string, CalendarRow>(
    names.map((job) => [job, { job, cells: days.map(() => ({ ok: 0, failed: 0, skipped: 0 })) }]),
  );
  for (const r of runs) {
    const d = Math.floor(Date.parse(r.scheduledFor) / DAY_MS) - first;
    if (d < 0 || d >= CALENDAR_DAYS) continue;
    const cell = rows.get(r.job)!.cells[d]!;
    if (r.outcome === 'ok') cell.ok++;
    else if (r.outcome === 'failed') cell.failed++;
    else if (r.outcome === 'skipped') cell.skipped++;
  }
  return { days, rows: [...rows.values()] };
}

function drills(list: BackupEntry[]): DrillPoint[] {
  const out: DrillPoint[] = [];
  for (const b of list)
    for (const v of b.verifications)
      if (v.drill !== null)
        out.push({ at: v.at, backupId: b.id, ok: v.ok && v.drill, durationMs: v.durationMs });
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

const secs = (iso: string) => Math.round(Date.parse(iso) / 1000);

function charts(v: Omit<DashboardView, 'chartsJson'>): string {
  const backups = [...v.backups.list].reverse();
  const applied = [...v.migrations.applied].reverse();
  return scriptJson({
    backups: {
      x: backups.map((b) => secs(b.finishedAt)),
      bytes: backups.map((b) => b.bytes),
      seconds: backups.map((b) => b.durationMs / 1000),
    },
    drills: {
      x: v.backups.drills.map((d) => secs(d.at)),
      seconds: v.backups.drills.map((d) => d.durationMs / 1000),
    },
    migrations: {
      x: applied.map((m) => secs(m.appliedAt)),
      count: applied.map((_, i) => i + 1),
    },
    jobs: {
      x: v.jobs.days.map((d) => secs(`${d}T00:00:00Z`)),
      ok: v.jobs.days.map((_, i) => v.jobs.calendar.reduce((n, r) => n + r.cells[i]!.ok, 0)),
      failed: v.jobs.days.map((_, i) => v.jobs.calendar.reduce((n, r) => n + r.cells[i]!.failed, 0)),
    },
  });
}

export function dashboardView(s: Snapshot, label: string | undefined): DashboardView {
  const d = s.dashboard;
  const r = s.report;
  const approvalOf = new Map<string, ApprovalRow>();
  for (const a of d.approvals)
    if (a.direction === 'up' && !approvalOf.has(a.version)) approvalOf.set(a.version, a);
  const cal = calendar(
    d.jobs,
    s.jobs.map((j) => j.job),
    Date.parse(s.refreshedAt),
  );
  const view: Omit<DashboardView, 'chartsJson'> = {
    env: s.env,
    label: label ?? null,
    status: healthStatus(s),
    refreshedAt: s.refreshedAt,
    serverVersion: r.figures?.serverVersion ?? null,
    alerts: s.alerts,
    migrations: {
      info: r.migrations,
      pending: (r.migrations?.pending ?? []).map((p) => ({
        ...p,
        approval: approvalOf.get(p.version) ?? null,
        gate: d.gates[p.version] ?? null,
      })),
      applied: d.applied,
    },
    backups: { info: r.backups, list: d.backups, drills: drills(d.backups) },
    jobs: {
      schedules: s.jobs,
      runs: d.jobs,
      failures: d.jobs.filter((j) => j.outcome === 'failed'),
      days: cal.days,
      calendar: cal.rows,
    },
    checks: r.checks,
    rehearsal: d.rehearsal,
    deploys: d.deploys,
    errors: d.errors,
  };
  return { ...view, chartsJson: charts(view) };
}
