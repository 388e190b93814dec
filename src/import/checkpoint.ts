// The import checkpoint: one row per (source, target) in pgward.import_runs, updated in the same
// transaction as each batch. A killed run leaves the row at the last committed batch; the next run with
// the same source and target (and an unchanged source fingerprint) starts after it.
import type pg from 'pg';

export interface Checkpoint {
  position: string | null;
  records: number;
  finished: boolean;
}

export async function ensureCheckpointTable(client: pg.Client): Promise<void> {
  await client.query(`
    CREATE SCHEMA IF NOT EXISTS pgward;
    CREATE TABLE IF NOT EXISTS pgward.import_runs (
      run_key text PRIMARY KEY,
      source text NOT NULL,
      target text NOT NULL,
      fingerprint text NOT NULL,
      position text,
      records bigint NOT NULL DEFAULT 0,
      started_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    )`);
}

/** The committed checkpoint of an unfinished run with this key and fingerprint, or a fresh start. */
export async function startRun(
  client: pg.Client,
  run: { key: string; source: string; target: string; fingerprint: string },
): Promise<Checkpoint> {
  const r = await client.query<{
    position: string | null;
    records: string;
    finished: boolean;
    fingerprint: string;
  }>(
    'SELECT position, records, finished_at IS NOT NULL AS finished, fingerprint FROM pgward.import_runs WHERE run_key = $1',
    [run.key],
  );
  const row = r.rows[0];
  if (row && !row.finished && row.fingerprint === run.fingerprint && row.position !== null)
    return { position: row.position, records: Number(row.records), finished: false };
  await client.query(
    `INSERT INTO pgward.import_runs (run_key, source, target, fingerprint) VALUES ($1, $2, $3, $4)
     ON CONFLICT (run_key) DO UPDATE SET source = excluded.source, target = excluded.target,
       fingerprint = excluded.fingerprint, position = NULL, records = 0, started_at = now(),
       updated_at = now(), finished_at = NULL`,
    [run.key, run.source, run.target, run.fingerprint],
  );
  return { position: null, records: 0, finished: false };
}

/** Inside the batch's transaction. */
export async function advance(
  client: pg.Client,
  key: string,
  position: string,
  records: number,
): Promise<void> {
  await client.query(
    'UPDATE pgward.import_runs SET position = $2, records = records + $3, updated_at = now() WHERE run_key = $1',
    [key, position, records],
  );
}

export async function finishRun(client: pg.Client, key: string): Promise<void> {
  await client.query(
    'UPDATE pgward.import_runs SET finished_at = now(), updated_at = now() WHERE run_key = $1',
    [key],
  );
}
