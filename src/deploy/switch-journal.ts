// pgward.switches: one row per `pgward switch`, written in BOTH databases (the one the app leaves and the
// one it moves to), so whichever the environment's URL reaches afterwards knows what happened. URLs are
// stored redacted (never a password). A row stays `in_progress` while the app may be between the two
// databases: a pgward killed mid-way leaves it so, and the next `pgward switch` reports it.
import type pg from 'pg';

export type SwitchStep = 'validating' | 'platform' | 'verifying' | 'reverting' | 'done';
export type SwitchOutcome = 'in_progress' | 'switched' | 'failed' | 'refused' | 'abandoned';

export interface SwitchRecord {
  id: string;
  environment: string;
  /** Which side this database was in the switch. */
  role: 'source' | 'target';
  fromUrl: string;
  toUrl: string;
  /** Database names, for the drop hint and reports. */
  fromDatabase: string;
  toDatabase: string;
  step: SwitchStep;
  outcome: SwitchOutcome;
  startedAt: string;
  finishedAt: string | null;
  keepUntil: string | null;
  platformDeployId: string | null;
  provider: string;
  readOnlySource: boolean;
  detail: string | null;
}

const DDL = `CREATE TABLE IF NOT EXISTS pgward.switches (
    id text NOT NULL,
    role text NOT NULL CHECK (role IN ('source', 'target')),
    environment text NOT NULL,
    from_url text NOT NULL,
    to_url text NOT NULL,
    from_database text NOT NULL,
    to_database text NOT NULL,
    step text NOT NULL,
    outcome text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    keep_until timestamptz,
    platform_deploy_id text,
    provider text NOT NULL,
    read_only_source boolean NOT NULL DEFAULT false,
    detail text,
    -- the database this row was written in (system identifier/oid): a copy of it (clone, restore,
    -- TEMPLATE) carries the row, but the copy never had a switch in progress
    fingerprint text NOT NULL,
    PRIMARY KEY (id, role))`;

/** Tables pgward keeps for itself that legitimately differ between the two databases of a switch. */
export const BOOKKEEPING_TABLES = new Set(['pgward.switches', 'pgward.identity', 'pgward.rehearsals']);

async function ensureTable(c: pg.Client): Promise<void> {
  const r = await c.query<{ has: boolean }>("SELECT to_regclass('pgward.switches') IS NOT NULL AS has");
  if (r.rows[0]?.has) return;
  await c.query('CREATE SCHEMA IF NOT EXISTS pgward');
  await c.query(DDL);
}

/** Pgward's own writes pass even when the database is (being made) read-only for everyone else. */
async function writable<T>(c: pg.Client, fn: () => Promise<T>): Promise<T> {
  await c.query('BEGIN READ WRITE');
  try {
    const out = await fn();
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

export async function insertSwitch(c: pg.Client, r: SwitchRecord, fingerprint: string): Promise<void> {
  await writable(c, async () => {
    await ensureTable(c);
    await c.query(
      `INSERT INTO pgward.switches (id, role, environment, from_url, to_url, from_database, to_database,
         step, outcome, keep_until, platform_deploy_id, provider, read_only_source, detail, fingerprint)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (id, role) DO NOTHING`,
      [
        r.id,
        r.role,
        r.environment,
        r.fromUrl,
        r.toUrl,
        r.fromDatabase,
        r.toDatabase,
        r.step,
        r.outcome,
        r.keepUntil,
        r.platformDeployId,
        r.provider,
        r.readOnlySource,
        r.detail,
        fingerprint,
      ],
    );
  });
}

export interface SwitchUpdate {
  step?: SwitchStep;
  outcome?: SwitchOutcome;
  keepUntil?: string | null;
  platformDeployId?: string | null;
  detail?: string | null;
}

/** Updates this switch's row in one database (both roles: a database is only ever one side). */
export async function updateSwitch(c: pg.Client, id: string, u: SwitchUpdate): Promise<void> {
  const finished = u.outcome !== undefined && u.outcome !== 'in_progress';
  await writable(c, () =>
    c.query(
      `UPDATE pgward.switches SET step = coalesce($2, step), outcome = coalesce($3, outcome),
         keep_until = CASE WHEN $4 THEN $5::timestamptz ELSE keep_until END,
         platform_deploy_id = coalesce($6, platform_deploy_id),
         detail = CASE WHEN $7 THEN $8 ELSE detail END,
         finished_at = CASE WHEN $9 THEN now() ELSE finished_at END
       WHERE id = $1`,
      [
        id,
        u.step ?? null,
        u.outcome ?? null,
        u.keepUntil !== undefined,
        u.keepUntil ?? null,
        u.platformDeployId ?? null,
        u.detail !== undefined,
        u.detail ?? null,
        finished,
      ],
    ),
  );
}

const COLUMNS = `id, role, environment, from_url, to_url, from_database, to_database, step, outcome,
  started_at::text AS started_at, finished_at::text AS finished_at, keep_until::text AS keep_until,
  platform_deploy_id, provider, read_only_source, detail`;

function toRecord(row: Record<string, unknown>): SwitchRecord {
  return {
    id: row.id as string,
    role: row.role as SwitchRecord['role'],
    environment: row.environment as string,
    fromUrl: row.from_url as string,
    toUrl: row.to_url as string,
    fromDatabase: row.from_database as string,
    toDatabase: row.to_database as string,
    step: row.step as SwitchStep,
    outcome: row.outcome as SwitchOutcome,
    startedAt: row.started_at as string,
    finishedAt: (row.finished_at as string | null) ?? null,
    keepUntil: (row.keep_until as string | null) ?? null,
    platformDeployId: (row.platform_deploy_id as string | null) ?? null,
    provider: row.provider as string,
    readOnlySource: row.read_only_source as boolean,
    detail: (row.detail as string | null) ?? null,
  };
}

/**
 * Switches of this database (newest first); empty when it never took part in one. With `inProgressOnly`,
 * only those written in this very database (`fingerprint`), not rows a copy carried over.
 */
export async function readSwitches(
  c: pg.Client,
  opts: { inProgressOnly?: string; limit?: number } = {},
): Promise<SwitchRecord[]> {
  const r = await c.query<{ has: boolean }>("SELECT to_regclass('pgward.switches') IS NOT NULL AS has");
  if (!r.rows[0]?.has) return [];
  const rows = await c.query(
    `SELECT ${COLUMNS} FROM pgward.switches
      WHERE $2::text IS NULL OR (outcome = 'in_progress' AND fingerprint = $2)
      ORDER BY started_at DESC, id LIMIT $1`,
    [opts.limit ?? 50, opts.inProgressOnly ?? null],
  );
  return rows.rows.map(toRecord);
}
