// What the dashboard shows beyond the doctor report, read by the refresh loop (never by a page load)
// from the watched database's `pgward` schema: applied migrations with their approvals, approvals
// waiting for pending files, job history, the deploy journal and the latest rehearsal. Each table is
// optional (a database migrated by another tool has no pgward.migrations): one to_regclass query says
// which exist, and a table that cannot be read is reported, not fatal.
import type pg from 'pg';
import type { BackupManifest } from '../../backup/manifest.js';
import { redact } from '../../redact.js';
import { latestRehearsal, type RehearsalRecord } from '../../rehearse/record.js';
import type { JobRow } from '../store.js';
import type { PendingGate } from './gates.js';

export interface Finding {
  rule: string;
  category: string;
  line: number;
}

export interface ApprovalInfo {
  by: string;
  at: string;
  findings: Finding[];
}

export interface AppliedMigrationRow {
  version: string;
  name: string;
  appliedAt: string;
  durationMs: number;
  appliedBy: string;
  /** The approval it was applied under; null: the gate let it through without one. */
  approval: ApprovalInfo | null;
}

export interface ApprovalRow extends ApprovalInfo {
  version: string;
  direction: string;
  env: string | null;
}

export interface DeployRow {
  id: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  actor: string;
  provider: string;
  commit: string | null;
  image: string | null;
  steps: { name: string; status: string; detail: string; durationMs: number | null }[];
  migrations: { version: string; name: string; compatible: boolean }[];
}

export type JobRunRow = Omit<JobRow, 'detail' | 'env'> & { durationMs: number | null };

export interface BackupEntry {
  id: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  bytes: number;
  reason: string;
  /** Newest first; `drill` false/true for restore drills, null for checksum-only verifications. */
  verifications: {
    at: string;
    ok: boolean;
    drill: boolean | null;
    durationMs: number;
    firstDifference: string | null;
  }[];
}

export interface DashboardData {
  collectedAt: string;
  applied: AppliedMigrationRow[];
  approvals: ApprovalRow[];
  jobs: JobRunRow[];
  deploys: DeployRow[];
  rehearsal: RehearsalRecord | null;
  backups: BackupEntry[];
  /** The gate decision of each pending pgward migration, by version. */
  gates: Record<string, PendingGate>;
  /** What could not be read, one line each. */
  errors: string[];
}

export const emptyDashboardData = (): DashboardData => ({
  collectedAt: new Date().toISOString(),
  applied: [],
  approvals: [],
  jobs: [],
  deploys: [],
  rehearsal: null,
  backups: [],
  gates: {},
  errors: [],
});

const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v);

const asFindings = (v: unknown): Finding[] =>
  Array.isArray(v)
    ? v.map((f) => ({
        rule: String(f?.rule ?? ''),
        category: String(f?.category ?? ''),
        line: Number(f?.line ?? 0),
      }))
    : [];

async function readApplied(c: pg.Client): Promise<AppliedMigrationRow[]> {
  const r = await c.query(
    `SELECT version, name, applied_at, duration_ms, applied_by, approval
       FROM pgward.migrations ORDER BY applied_at DESC, version DESC`,
  );
  return r.rows.map((x) => ({
    version: x.version,
    name: x.name,
    appliedAt: iso(x.applied_at)!,
    durationMs: x.duration_ms,
    appliedBy: x.applied_by,
    approval: x.approval
      ? {
          by: String(x.approval.approvedBy ?? ''),
          at: String(x.approval.approvedAt ?? ''),
          findings: asFindings(x.approval.findings),
        }
      : null,
  }));
}

async function readApprovals(c: pg.Client): Promise<ApprovalRow[]> {
  // to_jsonb: an older history has no direction column.
  const r = await c.query(
    `SELECT a.version, a.approved_by, a.approved_at, a.env, a.findings, to_jsonb(a)->>'direction' AS direction
       FROM pgward.approvals a ORDER BY a.approved_at DESC LIMIT 500`,
  );
  return r.rows.map((x) => ({
    version: x.version,
    direction: x.direction ?? 'up',
    env: x.env,
    by: x.approved_by,
    at: iso(x.approved_at)!,
    findings: asFindings(x.findings),
  }));
}

async function readJobs(c: pg.Client, env: string, limit: number): Promise<JobRunRow[]> {
  if (limit === 0) return [];
  const r = await c.query(
    `SELECT id::text AS id, job, scheduled_for, started_at, finished_at, outcome, error, runner
       FROM pgward.jobs WHERE env = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
    [env, limit],
  );
  return r.rows.map((x) => {
    const startedAt = iso(x.started_at)!;
    const finishedAt = iso(x.finished_at);
    return {
      id: x.id,
      job: x.job,
      scheduledFor: iso(x.scheduled_for)!,
      startedAt,
      finishedAt,
      outcome: x.outcome,
      error: x.error === null ? null : redact(x.error),
      runner: x.runner,
      durationMs: finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : null,
    };
  });
}

async function readDeploys(c: pg.Client, env: string): Promise<DeployRow[]> {
  const r = await c.query(
    `SELECT id, status, started_at, finished_at, actor, provider, steps, migrations,
            to_jsonb(d)->>'commit' AS commit, to_jsonb(d)->>'image' AS image
       FROM pgward.deploys d WHERE env = $1 ORDER BY started_at DESC LIMIT 200`,
    [env],
  );
  return r.rows.map((x) => ({
    id: x.id,
    status: x.status,
    startedAt: iso(x.started_at)!,
    finishedAt: iso(x.finished_at),
    actor: x.actor,
    provider: x.provider,
    commit: x.commit,
    image: x.image,
    steps: (Array.isArray(x.steps) ? x.steps : []).map((s: Record<string, unknown>) => ({
      name: String(s.name ?? ''),
      status: String(s.status ?? ''),
      detail: redact(String(s.detail ?? '')),
      durationMs: typeof s.durationMs === 'number' ? s.durationMs : null,
    })),
    migrations: (Array.isArray(x.migrations) ? x.migrations : []).map((m: Record<string, unknown>) => ({
      version: String(m.version ?? ''),
      name: String(m.name ?? ''),
      compatible: m.compatible === true,
    })),
  }));
}

/** One pass over the pgward tables of the watched database (the refresh loop calls it). */
export async function collectDashboard(
  c: pg.Client,
  env: string,
  jobRuns: number,
): Promise<Omit<DashboardData, 'backups' | 'gates'>> {
  const out = emptyDashboardData();
  const has = (
    await c.query<Record<string, boolean>>(
      `SELECT to_regclass('pgward.migrations') IS NOT NULL AS migrations,
              to_regclass('pgward.approvals') IS NOT NULL AS approvals,
              to_regclass('pgward.jobs') IS NOT NULL AS jobs,
              to_regclass('pgward.deploys') IS NOT NULL AS deploys,
              to_regclass('pgward.rehearsals') IS NOT NULL AS rehearsals`,
    )
  ).rows[0]!;
  const step = async <T>(what: string, present: boolean | undefined, fn: () => Promise<T>, empty: T) => {
    if (!present) return empty;
    try {
      return await fn();
    } catch (err) {
      out.errors.push(`cannot read ${what}: ${redact((err as Error).message)}`);
      return empty;
    }
  };
  out.applied = await step('pgward.migrations', has.migrations, () => readApplied(c), []);
  out.approvals = await step('pgward.approvals', has.approvals, () => readApprovals(c), []);
  out.jobs = await step('pgward.jobs', has.jobs, () => readJobs(c, env, jobRuns), []);
  out.deploys = await step('pgward.deploys', has.deploys, () => readDeploys(c, env), []);
  out.rehearsal = await step('pgward.rehearsals', has.rehearsals, () => latestRehearsal(c), null);
  const { backups: _b, gates: _g, ...rest } = out;
  return rest;
}

/** The catalog's manifests, reduced to what the dashboard plots and lists. */
export function backupEntries(list: BackupManifest[]): BackupEntry[] {
  return list.map((m) => ({
    id: m.id,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    durationMs: m.durationMs,
    bytes: m.archive.bytes,
    reason: m.reason,
    verifications: (m.verifications.length ? m.verifications : m.verification ? [m.verification] : []).map(
      (v) => ({
        at: v.at,
        ok: v.ok,
        drill: v.checks.drill,
        durationMs: v.durationMs,
        firstDifference: v.firstDifference,
      }),
    ),
  }));
}
