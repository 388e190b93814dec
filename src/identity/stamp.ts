// pgward.identity: "this database, in this cluster, is environment X". A stamp counts only when its
// (system identifier, database oid) are the connected database's own: a dump, restore, clone or
// CREATE DATABASE ... TEMPLATE copy carries the table but gets another oid or cluster, so a copy of
// production never passes for production, while production reached by any spelling always does.
import { hostname, userInfo } from 'node:os';
import type pg from 'pg';
import type { DatabaseIdentity } from './database.js';

export interface Stamp {
  env: string;
  protected: boolean;
  stampedAt: string;
  stampedBy: string;
}

export async function readStamps(client: pg.Client, id: DatabaseIdentity): Promise<Stamp[]> {
  try {
    const exists = await client.query<{ ok: boolean }>(
      "SELECT to_regclass('pgward.identity') IS NOT NULL AS ok",
    );
    if (!exists.rows[0]?.ok) return [];
    const r = await client.query<{ env: string; protected: boolean; at: string; by: string }>(
      `SELECT environment AS env, protected, stamped_at::text AS at, stamped_by AS by
         FROM pgward.identity WHERE system_identifier = ANY($1::text[]) AND database_oid = $2::oid
        ORDER BY stamped_at, environment`,
      // A stamp written by a role that could not read the system identifier carries start time|port. On
      // Neon only the full server (with the timeline) counts: a branch inherits its parent's stamps.
      [id.timeline ? [id.server] : [id.systemId, id.startedPort].filter((x) => x !== null), id.databaseOid],
    );
    return r.rows.map((s) => ({ env: s.env, protected: s.protected, stampedAt: s.at, stampedBy: s.by }));
  } catch {
    // a role that cannot read the table sees no stamps; probes and the named environment still decide
    return [];
  }
}

/**
 * Records that this database is `env`. Best effort: a read-only server or a role without CREATE must
 * not fail a command that would otherwise succeed. Only commands that write anyway call it.
 */
export async function writeStamp(
  client: pg.Client,
  id: DatabaseIdentity,
  env: string,
  isProtected: boolean,
): Promise<boolean> {
  try {
    await ensureStampTable(client);
    await client.query(
      `INSERT INTO pgward.identity (system_identifier, database_oid, environment, protected, stamped_by)
       VALUES ($1, $2::oid, $3, $4, $5)
       ON CONFLICT (system_identifier, database_oid, environment)
       DO UPDATE SET protected = EXCLUDED.protected, stamped_at = now(), stamped_by = EXCLUDED.stamped_by`,
      [id.server, id.databaseOid, env, isProtected, stamper()],
    );
    return true;
  } catch {
    return false;
  }
}

/** Creates only what is missing: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when it exists. */
async function ensureStampTable(client: pg.Client): Promise<void> {
  const r = await client.query<{ has_schema: boolean; has_table: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgward') AS has_schema,
            to_regclass('pgward.identity') IS NOT NULL AS has_table`,
  );
  if (r.rows[0]?.has_table) return;
  if (!r.rows[0]?.has_schema) await client.query('CREATE SCHEMA IF NOT EXISTS pgward');
  await client.query(`CREATE TABLE IF NOT EXISTS pgward.identity (
      system_identifier text NOT NULL,
      database_oid oid NOT NULL,
      environment text NOT NULL,
      protected boolean NOT NULL,
      stamped_at timestamptz NOT NULL DEFAULT now(),
      stamped_by text NOT NULL,
      PRIMARY KEY (system_identifier, database_oid, environment))`);
}

function stamper(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): the host name still says where it came from
  }
  return `${user}@${hostname()}`;
}
