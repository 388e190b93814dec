// What serve keeps in the database it watches, in the `pgward` schema: job history (one row per
// scheduled slot: the unique key is how replicas agree that a slot ran once), raised alerts (so a
// condition is announced once, whichever replica sees it first), and when each pending migration was
// first seen. Created idempotently; the DDL is serialised by an advisory lock so replicas starting
// together do not trip over each other.
import type pg from 'pg';
import { LOCK_CLASS } from '../migrate/lock.js';

/** Advisory lock class of serve's jobs ('pgwb'); the object id is hashtext(env:job). */
export const JOB_LOCK_CLASS = LOCK_CLASS + 1;
const DDL_LOCK = [JOB_LOCK_CLASS, 0] as const;

export async function ensureTables(c: pg.Client): Promise<void> {
  // Checked first, in one read: with several replicas and many environments the DDL path (a transaction,
  // the advisory lock, four CREATE ... IF NOT EXISTS) ran ~10 times a second, and replicas queued on
  // each other's lock. The DDL runs only when something is missing (a new or restored database).
  if (await tablesPresent(c)) return;
  await c.query('BEGIN');
  try {
    await c.query('SELECT pg_advisory_xact_lock($1, $2)', [...DDL_LOCK]);
    await c.query(`
      CREATE SCHEMA IF NOT EXISTS pgward;
      CREATE TABLE IF NOT EXISTS pgward.jobs (
        id bigserial PRIMARY KEY,
        env text NOT NULL,
        job text NOT NULL,
        scheduled_for timestamptz NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        outcome text NOT NULL CHECK (outcome IN ('running', 'ok', 'failed', 'skipped')),
        error text,
        detail jsonb,
        runner text NOT NULL,
        lease_until timestamptz,
        UNIQUE (env, job, scheduled_for));
      CREATE TABLE IF NOT EXISTS pgward.alerts (
        env text NOT NULL,
        key text NOT NULL,
        raised_at timestamptz NOT NULL DEFAULT now(),
        message text NOT NULL,
        PRIMARY KEY (env, key));
      CREATE TABLE IF NOT EXISTS pgward.monitor_pending (
        tracking_table text NOT NULL,
        version text NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tracking_table, version));`);
    await addLeaseColumn(c);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

async function tablesPresent(c: pg.Client): Promise<boolean> {
  const r = await c.query<{ ok: boolean }>(
    `SELECT to_regclass('pgward.jobs') IS NOT NULL AND to_regclass('pgward.alerts') IS NOT NULL
            AND to_regclass('pgward.monitor_pending') IS NOT NULL
            AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('pgward.jobs')
                          AND attname = 'lease_until' AND NOT attisdropped) AS ok`,
  );
  return r.rows[0]?.ok === true;
}

/** Tables created before leases existed get the column (checked first: ALTER would lock the table each time). */
async function addLeaseColumn(c: pg.Client): Promise<void> {
  const r = await c.query(
    "SELECT 1 FROM pg_attribute WHERE attrelid = 'pgward.jobs'::regclass AND attname = 'lease_until' AND NOT attisdropped",
  );
  if (!r.rowCount) await c.query('ALTER TABLE pgward.jobs ADD COLUMN lease_until timestamptz');
}

/** Records the pending set (new ones first seen now, applied ones forgotten); returns version → first seen. */
export async function recordPending(
  c: pg.Client,
  trackingTable: string,
  versions: string[],
): Promise<Map<string, string>> {
  await c.query(
    `WITH gone AS (DELETE FROM pgward.monitor_pending WHERE tracking_table = $1 AND NOT (version = ANY ($2::text[])))
     INSERT INTO pgward.monitor_pending (tracking_table, version) SELECT $1, v FROM unnest($2::text[]) v
     ON CONFLICT DO NOTHING`,
    [trackingTable, versions],
  );
  const r = await c.query<{ version: string; since: Date }>(
    'SELECT version, first_seen_at AS since FROM pgward.monitor_pending WHERE tracking_table = $1',
    [trackingTable],
  );
  return new Map(r.rows.map((x) => [x.version, x.since.toISOString()]));
}

export interface JobRow {
  id: string;
  env: string;
  job: string;
  scheduledFor: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: 'running' | 'ok' | 'failed' | 'skipped';
  error: string | null;
  detail: Record<string, unknown> | null;
  runner: string;
}

const columns = (t: string) => `${t}id::text AS id, ${t}env, ${t}job, ${t}scheduled_for AS "scheduledFor",
  ${t}started_at AS "startedAt", ${t}finished_at AS "finishedAt", ${t}outcome, ${t}error, ${t}detail, ${t}runner`;
const JOB_COLUMNS = columns('');

function iso(r: JobRow): JobRow {
  const d = (v: unknown) => (v instanceof Date ? v.toISOString() : (v as string | null));
  return { ...r, scheduledFor: d(r.scheduledFor)!, startedAt: d(r.startedAt)!, finishedAt: d(r.finishedAt) };
}

/** Claims a scheduled slot with a lease of `leaseMs`; null when another replica already did. */
export async function claimSlot(
  c: pg.Client,
  env: string,
  job: string,
  scheduledFor: Date,
  runner: string,
  leaseMs: number,
): Promise<string | null> {
  const r = await c.query<{ id: string }>(
    `INSERT INTO pgward.jobs (env, job, scheduled_for, outcome, runner, lease_until)
     VALUES ($1, $2, $3, 'running', $4, now() + $5 * interval '1 millisecond')
     ON CONFLICT (env, job, scheduled_for) DO NOTHING RETURNING id::text`,
    [env, job, scheduledFor, runner, leaseMs],
  );
  return r.rows[0]?.id ?? null;
}

/**
 * How many of `slots` of `job` already have their row (claimed, run or skipped, by any replica). Read
 * before a run opens a connection of its own: a slot another replica took costs this read, not a session.
 */
export async function slotsRecorded(c: pg.Client, env: string, job: string, slots: Date[]): Promise<number> {
  const r = await c.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pgward.jobs
      WHERE env = $1 AND job = $2 AND scheduled_for = ANY($3::timestamptz[])`,
    [env, job, slots],
  );
  return r.rows[0]?.n ?? 0;
}

/** Extends a running job's lease; false when the row is no longer running (another replica expired it). */
export async function renewLease(c: pg.Client, id: string, leaseMs: number): Promise<boolean> {
  const r = await c.query(
    `UPDATE pgward.jobs SET lease_until = now() + $2 * interval '1 millisecond'
      WHERE id = $1::bigint AND outcome = 'running'`,
    [id, leaseMs],
  );
  return (r.rowCount ?? 0) > 0;
}

/**
 * Records how a run ended; false when the row was no longer running (its lease expired and another
 * replica failed it): that verdict stands, a late finish never overwrites it.
 */
/** Why a slot was superseded: it waited for job capacity, or the replica's scheduler fired past it. */
export type SupersededWhy = 'capacity' | 'late';

/** A slot overtaken by a later one of its job, and why. */
export interface SupersededSlot {
  at: Date;
  why: SupersededWhy;
}

const SUPERSEDED_BECAUSE: Record<SupersededWhy, string> = {
  capacity: 'no job capacity (serve.jobs.concurrency) before it',
  late: "this replica's scheduler fired late (its event loop or host stalled past the slot)",
};

/**
 * Slots that a later slot of the same job overtook before their turn, recorded as skipped with the
 * reason. A slot another replica already claimed (and ran, or skipped) keeps its row: each slot has
 * exactly one.
 */
export async function recordSuperseded(
  c: pg.Client,
  env: string,
  job: string,
  slots: SupersededSlot[],
  by: Date,
  runner: string,
): Promise<number> {
  const r = await c.query(
    `INSERT INTO pgward.jobs (env, job, scheduled_for, started_at, finished_at, outcome, error, runner)
     SELECT $1, $2, s.at, now(), now(), 'skipped', s.why, $4
       FROM unnest($3::timestamptz[], $5::text[]) AS s(at, why)
     ON CONFLICT (env, job, scheduled_for) DO NOTHING`,
    [
      env,
      job,
      slots.map((s) => s.at),
      runner,
      slots.map((s) => `superseded by the slot of ${by.toISOString()}: ${SUPERSEDED_BECAUSE[s.why]}`),
    ],
  );
  return r.rowCount ?? 0;
}

export async function finishJob(
  c: pg.Client,
  id: string,
  outcome: 'ok' | 'failed' | 'skipped',
  error: string | null,
  detail: Record<string, unknown> | null,
): Promise<boolean> {
  const r = await c.query(
    `UPDATE pgward.jobs SET finished_at = now(), outcome = $2, error = $3, detail = $4
      WHERE id = $1::bigint AND outcome = 'running'`,
    [id, outcome, error, detail === null ? null : JSON.stringify(detail)],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Rows written before leases existed have none: they count as expired a day after they started. */
const LEASE_END = "coalesce(lease_until, started_at + interval '1 day')";

export interface ExpiredJob {
  id: string;
  job: string;
  runner: string;
  /** Why: the lease lapsed, or the runner's session is gone; names the runner (host and pid). */
  error: string;
}

/** A run claims its slot, then takes the job lock: a run younger than this may not hold it yet. */
const LOCK_GRACE_MS = 5_000;

/**
 * Fails the running jobs of `env` whose replica is gone: its lease lapsed (it stopped renewing), or no
 * session holds the job's advisory lock any more although the run is past the claim-to-lock moment
 * (PostgreSQL released it when the replica's connection ended: killed, crashed). The second test reads
 * what is true now instead of waiting out the lease. The UPDATE decides: when replicas sweep together,
 * each row is returned to exactly one of them.
 */
export async function expireLeases(c: pg.Client, env: string): Promise<ExpiredJob[]> {
  const r = await c.query<ExpiredJob>(
    `WITH gone AS (
       SELECT id, ${LEASE_END} < now() AS lapsed, ${LEASE_END} AS lease_end FROM pgward.jobs j
        WHERE env = $1 AND outcome = 'running'
          AND (${LEASE_END} < now()
               OR (started_at < now() - $2 * interval '1 millisecond' AND NOT EXISTS (
                     SELECT 1 FROM pg_locks l
                      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                        AND l.classid::bigint = $3
                        AND l.objid::bigint = (hashtext(j.env || ':' || j.job)::bigint & 4294967295)))))
     UPDATE pgward.jobs j
        SET outcome = 'failed', finished_at = now(),
            error = CASE WHEN g.lapsed
              THEN format('lease expired at %s: %s stopped renewing it (crashed or cut off)',
                          to_char(g.lease_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), j.runner)
              ELSE format('lease expired: %s is gone (its session no longer holds the job lock: killed or crashed)',
                          j.runner) END
       FROM gone g
      WHERE j.id = g.id AND j.outcome = 'running'
      RETURNING j.id::text AS id, j.job, j.runner, j.error`,
    [env, LOCK_GRACE_MS, JOB_LOCK_CLASS],
  );
  return r.rows;
}

export interface HistoryRetention {
  keepDays: number;
  keepRuns: number;
}

/**
 * Deletes job history of `env` beyond `keepRuns` runs per job or older than `keepDays`, but never a
 * running row, nor the latest run or the latest successful run of a job (health and metrics report them).
 */
export async function pruneJobHistory(c: pg.Client, env: string, keep: HistoryRetention): Promise<number> {
  const r = await c.query(
    `DELETE FROM pgward.jobs j USING (
       SELECT id, outcome, started_at,
              row_number() OVER (PARTITION BY job ORDER BY started_at DESC, id DESC) AS nth,
              row_number() OVER (PARTITION BY job, outcome = 'ok' ORDER BY started_at DESC, id DESC) AS nth_same
         FROM pgward.jobs WHERE env = $1) h
      WHERE j.id = h.id AND h.outcome <> 'running' AND h.nth > 1 AND NOT (h.outcome = 'ok' AND h.nth_same = 1)
        AND (h.nth > $2 OR h.started_at < now() - $3 * interval '1 day')`,
    [env, keep.keepRuns, keep.keepDays],
  );
  return r.rowCount ?? 0;
}

export async function tryJobLock(c: pg.Client, env: string, job: string): Promise<boolean> {
  const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
    JOB_LOCK_CLASS,
    `${env}:${job}`,
  ]);
  return r.rows[0]?.ok === true;
}

export async function releaseJobLock(c: pg.Client, env: string, job: string): Promise<void> {
  await c.query('SELECT pg_advisory_unlock($1, hashtext($2))', [JOB_LOCK_CLASS, `${env}:${job}`]);
}

export async function jobsTableExists(c: pg.Client): Promise<boolean> {
  const r = await c.query<{ t: string | null }>("SELECT to_regclass('pgward.jobs')::text AS t");
  return r.rows[0]?.t != null;
}

/** Job history, newest first. */
export async function listJobs(
  c: pg.Client,
  opts: { env?: string | undefined; job?: string | undefined; limit?: number },
): Promise<JobRow[]> {
  const r = await c.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM pgward.jobs
      WHERE ($1::text IS NULL OR env = $1) AND ($2::text IS NULL OR job = $2)
      ORDER BY started_at DESC, id DESC LIMIT $3`,
    [opts.env ?? null, opts.job ?? null, opts.limit ?? 20],
  );
  return r.rows.map(iso);
}

/** The latest run of each job of an environment, and its latest successful run. */
export async function lastRuns(
  c: pg.Client,
  env: string,
): Promise<{ last: JobRow; lastOkAt: string | null }[]> {
  const r = await c.query<JobRow & { lastOkAt: Date | null }>(
    // The latest success per job is joined once, not looked up per row: with a correlated subquery in
    // the select list, 10,000 runs took tens of seconds (every row scanned the table again).
    `SELECT DISTINCT ON (j.job) ${columns('j.')}, ok.last_ok AS "lastOkAt"
       FROM pgward.jobs j
       LEFT JOIN (SELECT job, max(finished_at) AS last_ok FROM pgward.jobs
                   WHERE env = $1 AND outcome = 'ok' GROUP BY job) ok ON ok.job = j.job
      WHERE j.env = $1 AND j.outcome <> 'skipped'
      ORDER BY j.job, j.started_at DESC, j.id DESC`,
    [env],
  );
  return r.rows.map((x) => ({ last: iso(x), lastOkAt: x.lastOkAt ? x.lastOkAt.toISOString() : null }));
}

/** Marks a condition raised; true when this call raised it (so this replica announces it). */
export async function raiseAlert(c: pg.Client, env: string, key: string, message: string): Promise<boolean> {
  const r = await c.query(
    'INSERT INTO pgward.alerts (env, key, message) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key',
    [env, key, message],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Clears a condition; its message when this call cleared it (so this replica announces the recovery). */
export async function clearAlert(c: pg.Client, env: string, key: string): Promise<string | null> {
  const r = await c.query<{ message: string }>(
    'DELETE FROM pgward.alerts WHERE env = $1 AND key = $2 RETURNING message',
    [env, key],
  );
  return r.rows[0]?.message ?? null;
}

export async function activeAlerts(
  c: pg.Client,
  env: string,
): Promise<{ key: string; since: string; message: string }[]> {
  const r = await c.query<{ key: string; since: Date; message: string }>(
    'SELECT key, raised_at AS since, message FROM pgward.alerts WHERE env = $1 ORDER BY raised_at',
    [env],
  );
  return r.rows.map((x) => ({ key: x.key, since: x.since.toISOString(), message: x.message }));
}
