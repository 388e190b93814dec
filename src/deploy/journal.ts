// The deploy journal: one row per `pgward deploy` in pgward.deploys of the environment's database, each
// step with its result, timing and detail, written as the step starts and as it ends, so a crash leaves
// exactly where it stopped. Everything written goes through redactDeep: no secret reaches the table.
import type pg from 'pg';
import { redact, redactDeep } from '../redact.js';

export type StepName = 'preflight' | 'backup' | 'migrate' | 'platform' | 'verify' | 'rollback';
export const STEP_ORDER: StepName[] = ['preflight', 'backup', 'migrate', 'platform', 'verify', 'rollback'];

/** interrupted (Ctrl-C) and running (at a crash) steps run again on resume; the others never do. */
export type StepStatus = 'running' | 'done' | 'failed' | 'skipped' | 'interrupted';

export interface DeployStep {
  name: StepName;
  status: StepStatus;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** One line: what happened (or why it was skipped / failed). */
  detail: string;
}

/** running: in progress (or stopped by a crash, when no pgward holds the deploy lock). */
export type DeployStatus = 'running' | 'succeeded' | 'blocked' | 'failed' | 'rolled_back' | 'rollback_failed';

/** A migration of the deploy and whether the code before it can run against the schema after it. */
export interface DeployMigration {
  version: string;
  name: string;
  /** No destructive or breaking finding: the previous code keeps working, so a rollback keeps the schema. */
  compatible: boolean;
  findings: { rule: string; category: string; line: number }[];
}

export interface DatabaseRollback {
  how: 'down' | 'restore';
  at: string;
  by: string;
  ok: boolean;
  detail: string;
  /** restore: the new database (password redacted). */
  database?: string;
}

export interface DeployRecord {
  id: string;
  env: string;
  status: DeployStatus;
  startedAt: string;
  finishedAt: string | null;
  /** The pgward process that ran it, where, and who. */
  pid: number;
  host: string;
  actor: string;
  provider: string;
  steps: DeployStep[];
  migrations: DeployMigration[];
  /** The platform deploy live before ours (what a rollback returns to). */
  previousDeploy: string | null;
  platformDeployId: string | null;
  /** --commit / --image of the run that started the deploy: a resumed platform step deploys these, not the resuming run's. */
  commit: string | null;
  image: string | null;
  backupId: string | null;
  /** n_tup_ins + n_tup_upd + n_tup_del per table when the deploy started (writes since are the difference). */
  writeBaseline: Record<string, number> | null;
  exitCode: number | null;
  databaseRollback: DatabaseRollback | null;
}

const DDL = `
CREATE SCHEMA IF NOT EXISTS pgward;
CREATE TABLE IF NOT EXISTS pgward.deploys (
  id                 text PRIMARY KEY,
  env                text NOT NULL,
  status             text NOT NULL,
  started_at         timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz,
  pid                integer NOT NULL,
  host               text NOT NULL,
  actor              text NOT NULL,
  provider           text NOT NULL,
  steps              jsonb NOT NULL DEFAULT '[]',
  migrations         jsonb NOT NULL DEFAULT '[]',
  previous_deploy    text,
  platform_deploy_id text,
  backup_id          text,
  write_baseline     jsonb,
  exit_code          integer,
  database_rollback  jsonb,
  commit             text,
  image              text
);
CREATE INDEX IF NOT EXISTS deploys_env_started ON pgward.deploys (env, started_at DESC);
`;

/** Creates the journal table (under the deploy lock, so two runs never race on it); adds columns a journal of an older pgward lacks. */
export async function ensureJournal(client: pg.Client): Promise<void> {
  const res = await client.query<{ ok: boolean }>("SELECT to_regclass('pgward.deploys') IS NOT NULL AS ok");
  if (!res.rows[0]?.ok) {
    await client.query(DDL);
    return;
  }
  const cols = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_attribute
      WHERE attrelid = 'pgward.deploys'::regclass AND attname IN ('commit', 'image') AND NOT attisdropped`,
  );
  if (cols.rows[0]?.n !== 2)
    await client.query(
      'ALTER TABLE pgward.deploys ADD COLUMN IF NOT EXISTS commit text, ADD COLUMN IF NOT EXISTS image text',
    );
}

export async function journalExists(client: pg.Client): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>("SELECT to_regclass('pgward.deploys') IS NOT NULL AS ok");
  return res.rows[0]?.ok === true;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

function fromRow(r: Record<string, unknown>): DeployRecord {
  return {
    id: r.id as string,
    env: r.env as string,
    status: r.status as DeployStatus,
    startedAt: iso(r.started_at as Date)!,
    finishedAt: iso(r.finished_at as Date | null),
    pid: r.pid as number,
    host: r.host as string,
    actor: r.actor as string,
    provider: r.provider as string,
    steps: r.steps as DeployStep[],
    migrations: r.migrations as DeployMigration[],
    previousDeploy: r.previous_deploy as string | null,
    platformDeployId: r.platform_deploy_id as string | null,
    commit: (r.commit as string | null | undefined) ?? null,
    image: (r.image as string | null | undefined) ?? null,
    backupId: r.backup_id as string | null,
    writeBaseline: r.write_baseline as Record<string, number> | null,
    exitCode: r.exit_code as number | null,
    databaseRollback: r.database_rollback as DatabaseRollback | null,
  };
}

export async function insertDeploy(client: pg.Client, d: DeployRecord): Promise<void> {
  await client.query(
    `INSERT INTO pgward.deploys (id, env, status, started_at, pid, host, actor, provider, steps, commit, image)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', $9, $10)`,
    [
      d.id,
      d.env,
      d.status,
      d.startedAt,
      d.pid,
      d.host,
      redact(d.actor),
      redact(d.provider),
      d.commit === null ? null : redact(d.commit),
      d.image === null ? null : redact(d.image),
    ],
  );
}

/** Writes the record's mutable state (steps, ids, status) in one statement. */
export async function saveDeploy(client: pg.Client, d: DeployRecord): Promise<void> {
  await client.query(
    `UPDATE pgward.deploys SET status = $2, finished_at = $3, steps = $4::jsonb, migrations = $5::jsonb,
            previous_deploy = $6, platform_deploy_id = $7, backup_id = $8, write_baseline = $9::jsonb,
            exit_code = $10, database_rollback = $11::jsonb, pid = $12, host = $13
      WHERE id = $1`,
    [
      d.id,
      d.status,
      d.finishedAt,
      JSON.stringify(redactDeep(d.steps)),
      JSON.stringify(d.migrations),
      d.previousDeploy === null ? null : redact(d.previousDeploy),
      d.platformDeployId === null ? null : redact(d.platformDeployId),
      d.backupId,
      d.writeBaseline === null ? null : JSON.stringify(d.writeBaseline),
      d.exitCode,
      d.databaseRollback === null ? null : JSON.stringify(redactDeep(d.databaseRollback)),
      d.pid,
      d.host,
    ],
  );
}

export async function readDeploy(client: pg.Client, id: string): Promise<DeployRecord | undefined> {
  if (!(await journalExists(client))) return undefined;
  const res = await client.query('SELECT * FROM pgward.deploys WHERE id = $1', [id]);
  return res.rows[0] ? fromRow(res.rows[0]) : undefined;
}

/** The newest deploys first; of one environment when `env` is given. */
export async function listDeploys(
  client: pg.Client,
  opts: { env?: string | undefined; limit?: number } = {},
): Promise<DeployRecord[]> {
  if (!(await journalExists(client))) return [];
  const res = await client.query(
    `SELECT * FROM pgward.deploys WHERE ($1::text IS NULL OR env = $1)
      ORDER BY started_at DESC, id DESC LIMIT $2`,
    [opts.env ?? null, opts.limit ?? 20],
  );
  return res.rows.map(fromRow);
}

/** The deploy of this environment still marked running (a crashed one when nobody holds the lock). */
export async function unfinishedDeploy(client: pg.Client, env: string): Promise<DeployRecord | undefined> {
  if (!(await journalExists(client))) return undefined;
  const res = await client.query(
    `SELECT * FROM pgward.deploys WHERE env = $1 AND status = 'running' ORDER BY started_at DESC LIMIT 1`,
    [env],
  );
  return res.rows[0] ? fromRow(res.rows[0]) : undefined;
}
