// Session settings shared by every connection of a clone: the text form of dates, times, intervals
// and floats must be read back exactly as it was written, whatever each server's defaults are, and
// names must come out schema-qualified (search_path empty, as pg_dump does).
import type pg from 'pg';
import { connect } from '../db/connect.js';

export const SESSION_SETTINGS =
  "SET search_path = ''; SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3";

export async function openSession(url: string, purpose: string): Promise<pg.Client> {
  const c = await connect(url, { applicationName: `pgward clone ${purpose}` });
  await c.query(SESSION_SETTINGS);
  return c;
}

/** A source connection reading inside the exported snapshot (the same data every worker sees). */
export async function openSnapshotReader(url: string, snapshot: string): Promise<pg.Client> {
  const c = await openSession(url, 'reader');
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  // The snapshot id comes from pg_export_snapshot(); it is still passed as a parameter-free literal,
  // so it is checked against the exact shape PostgreSQL produces.
  if (!/^[0-9A-F]+-[0-9A-F]+-[0-9]+$/i.test(snapshot)) throw new Error(`unexpected snapshot id ${snapshot}`);
  await c.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
  return c;
}

export async function closeAll(clients: (pg.Client | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => c?.end().catch(() => {})));
}
