// pgward's own record of applied migrations, in the `pgward` schema of the target database.
import { hostname, userInfo } from 'node:os';
import type pg from 'pg';
import { PGWARD_VERSION } from '../version.js';

export const HISTORY_SCHEMA = 'pgward';

export interface AppliedMigration {
  version: string;
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
  appliedBy: string;
  pgwardVersion: string;
}

export type Direction = 'up' | 'down';

/**
 * A no-transaction migration (up) or rollback (down) that started but did not finish: the database may
 * hold part of it. A down partial's migration is still recorded as applied.
 */
export interface PartialMigration {
  version: string;
  direction: Direction;
  name: string;
  checksum: string;
  statementsTotal: number;
  statementsDone: number;
  failedLine: number | null;
  error: string | null;
  startedAt: Date;
}

const DDL = `
CREATE SCHEMA IF NOT EXISTS pgward;
CREATE TABLE IF NOT EXISTS pgward.migrations (
  version        text PRIMARY KEY,
  name           text NOT NULL,
  checksum       text NOT NULL,
  applied_at     timestamptz NOT NULL DEFAULT now(),
  duration_ms    integer NOT NULL,
  applied_by     text NOT NULL,
  db_user        text NOT NULL DEFAULT current_user,
  pgward_version text NOT NULL,
  approval       jsonb
);
CREATE TABLE IF NOT EXISTS pgward.approvals (
  version     text NOT NULL,
  checksum    text NOT NULL,
  approved_by text NOT NULL,
  approved_at timestamptz NOT NULL DEFAULT now(),
  env         text,
  findings    jsonb NOT NULL DEFAULT '[]',
  direction   text NOT NULL DEFAULT 'up',
  CONSTRAINT approvals_pkey PRIMARY KEY (version, checksum, direction)
);
CREATE TABLE IF NOT EXISTS pgward.partial_migrations (
  version          text PRIMARY KEY,
  name             text NOT NULL,
  checksum         text NOT NULL,
  statements_total integer NOT NULL,
  statements_done  integer NOT NULL DEFAULT 0,
  failed_line      integer,
  error            text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  direction        text NOT NULL DEFAULT 'up' CHECK (direction IN ('up', 'down'))
);
COMMENT ON SCHEMA pgward IS 'pgward migration history: do not edit by hand';
`;

// Databases migrated by an older pgward lack the direction columns (rollback approvals, partial
// rollbacks): add them in one transaction. Rows written before are all of direction 'up'.
const UPGRADE = `
ALTER TABLE pgward.partial_migrations ADD COLUMN IF NOT EXISTS direction text NOT NULL DEFAULT 'up';
ALTER TABLE pgward.approvals ADD COLUMN IF NOT EXISTS direction text NOT NULL DEFAULT 'up';
ALTER TABLE pgward.approvals DROP CONSTRAINT IF EXISTS approvals_pkey;
ALTER TABLE pgward.approvals ADD CONSTRAINT approvals_pkey PRIMARY KEY (version, checksum, direction);
`;

/** Creates (or upgrades) the history tables; call while holding the migration lock so two runs never race on it. */
export async function ensureHistory(client: pg.Client): Promise<void> {
  const state = await historyState(client);
  if (!state.exists) await client.query(DDL);
  else if (!state.current) await client.query(UPGRADE);
}

export async function historyExists(client: pg.Client): Promise<boolean> {
  return (await historyState(client)).exists;
}

async function historyState(client: pg.Client): Promise<{ exists: boolean; current: boolean }> {
  const hasDirection = (table: string) =>
    `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('pgward.${table}') AND attname = 'direction' AND NOT attisdropped)`;
  const res = await client.query<{ ok: boolean; current: boolean }>(
    `SELECT to_regclass('pgward.migrations') IS NOT NULL AND to_regclass('pgward.partial_migrations') IS NOT NULL AND to_regclass('pgward.approvals') IS NOT NULL AS ok,
            ${hasDirection('approvals')} AND ${hasDirection('partial_migrations')} AS current`,
  );
  return { exists: res.rows[0]?.ok === true, current: res.rows[0]?.current === true };
}

export async function readApplied(client: pg.Client): Promise<AppliedMigration[]> {
  if (!(await historyExists(client))) return [];
  // (approval is read separately; history rows stay small)
  const res = await client.query(
    'SELECT version, name, checksum, applied_at, duration_ms, applied_by, pgward_version FROM pgward.migrations',
  );
  return res.rows.map((r) => ({
    version: r.version,
    name: r.name,
    checksum: r.checksum,
    appliedAt: r.applied_at,
    durationMs: r.duration_ms,
    appliedBy: r.applied_by,
    pgwardVersion: r.pgward_version,
  }));
}

export async function readPartial(client: pg.Client): Promise<PartialMigration[]> {
  if (!(await historyExists(client))) return [];
  const res = await client.query('SELECT * FROM pgward.partial_migrations ORDER BY version');
  return res.rows.map((r) => ({
    version: r.version,
    // read-only commands (status, dry runs) may see a history written by an older pgward: all 'up'
    direction: r.direction === 'down' ? 'down' : 'up',
    name: r.name,
    checksum: r.checksum,
    statementsTotal: r.statements_total,
    statementsDone: r.statements_done,
    failedLine: r.failed_line,
    error: r.error,
    startedAt: r.started_at,
  }));
}

/** Who applied a migration: PGWARD_ACTOR (e.g. a CI user) or the OS user and host. */
let cachedActor: string | undefined;
export function actor(): string {
  if (process.env.PGWARD_ACTOR) return process.env.PGWARD_ACTOR;
  if (cachedActor) return cachedActor;
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  cachedActor = `${user}@${hostname()}`;
  return cachedActor;
}

export async function recordApplied(
  client: pg.Client,
  m: { version: string; name: string; checksum: string },
  /** null: measured by the server, from the transaction's start (now()) to this insert. */
  durationMs: number | null,
  approval?: unknown,
): Promise<void> {
  await client.query(
    `INSERT INTO pgward.migrations (version, name, checksum, duration_ms, applied_by, pgward_version, approval)
     VALUES ($1, $2, $3, COALESCE($4::int, round(extract(epoch FROM clock_timestamp() - now()) * 1000)::int),
             $5, $6, $7::jsonb)`,
    [
      m.version,
      m.name,
      m.checksum,
      durationMs === null ? null : Math.round(durationMs),
      actor(),
      PGWARD_VERSION,
      approval === undefined ? null : JSON.stringify(approval),
    ],
  );
}
