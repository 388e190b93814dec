// pgward.rehearsals: every rehearsal's verdict, kept in the database that was rehearsed (the source of the
// copy), so `pgward promote` can ask "did staging's latest rehearsal pass?". Best effort, like identity
// stamps: a read-only server or a role without CREATE must not fail a rehearsal. Each row carries the
// fingerprint (system identifier/oid) of the database it was written in: a copy of that database (clone,
// restore) carries the rows but never counts them as its own.
import type pg from 'pg';
import { appName, withClient } from '../db/connect.js';
import { readDatabaseIdentity } from '../identity/database.js';

export interface RehearsalRecord {
  at: string;
  env: string;
  ok: boolean;
  exitCode: number;
  /** The migrations rehearsed, `version verdict` each. */
  migrations: string[];
}

const DDL = `CREATE TABLE IF NOT EXISTS pgward.rehearsals (
    at timestamptz NOT NULL DEFAULT now(),
    environment text NOT NULL,
    ok boolean NOT NULL,
    exit_code integer NOT NULL,
    migrations text[] NOT NULL,
    fingerprint text NOT NULL)`;

/** Records a rehearsal's verdict in the rehearsed database; false when it could not be written. */
export async function recordRehearsal(
  url: string,
  r: { env: string; ok: boolean; exitCode: number; migrations: string[] },
): Promise<boolean> {
  try {
    return await withClient(
      url,
      async (c) => {
        const id = await readDatabaseIdentity(c);
        await c.query('BEGIN READ WRITE');
        const has = await c.query<{ t: boolean; s: boolean }>(
          `SELECT to_regclass('pgward.rehearsals') IS NOT NULL AS t,
                  EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgward') AS s`,
        );
        if (!has.rows[0]?.s) await c.query('CREATE SCHEMA IF NOT EXISTS pgward');
        if (!has.rows[0]?.t) await c.query(DDL);
        await c.query(
          `INSERT INTO pgward.rehearsals (environment, ok, exit_code, migrations, fingerprint)
           VALUES ($1, $2, $3, $4, $5)`,
          [r.env, r.ok, r.exitCode, r.migrations, id.fingerprint],
        );
        await c.query('COMMIT');
        return true;
      },
      { applicationName: appName('rehearse record') },
    );
  } catch {
    return false;
  }
}

/** The newest rehearsal recorded by this very database (not by a database it was copied from), or null. */
export async function latestRehearsal(c: pg.Client): Promise<RehearsalRecord | null> {
  const has = await c.query<{ t: boolean }>("SELECT to_regclass('pgward.rehearsals') IS NOT NULL AS t");
  if (!has.rows[0]?.t) return null;
  const id = await readDatabaseIdentity(c);
  const r = await c.query<{ at: string; env: string; ok: boolean; code: number; migrations: string[] }>(
    `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, environment AS env, ok,
            exit_code AS code, migrations
       FROM pgward.rehearsals WHERE fingerprint = $1 ORDER BY at DESC LIMIT 1`,
    [id.fingerprint],
  );
  const row = r.rows[0];
  return row
    ? { at: row.at, env: row.env, ok: row.ok, exitCode: row.code, migrations: row.migrations }
    : null;
}
