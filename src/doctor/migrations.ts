// Pending migrations and how long they have been pending. "Since when" is the first time a pgward serve
// saw the migration pending (pgward.monitor_pending, written by serve), else the file's modification
// time (when the code that carries it reached this machine), else unknown.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { MigrationsSource, Target } from '../config/target.js';
import { ATTENTION_STATES } from '../files/migration-status.js';
import { locateMigrations } from '../frameworks/locate.js';
import { statusWithClient } from '../migrate/status.js';
import type { MigrationsInfo, PendingMigration } from './types.js';

/** Serve's hook: records the pending set and returns when each was first seen. */
export type PendingSince = (trackingTable: string, versions: string[]) => Promise<Map<string, string>>;

export async function pendingSinceRecorded(
  client: pg.Client,
  trackingTable: string,
): Promise<Map<string, string>> {
  const exists = await client.query<{ t: string | null }>(
    "SELECT to_regclass('pgward.monitor_pending')::text AS t",
  );
  if (!exists.rows[0]?.t) return new Map();
  const r = await client.query<{ version: string; since: string }>(
    `SELECT version, to_char(first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS since
       FROM pgward.monitor_pending WHERE tracking_table = $1`,
    [trackingTable],
  );
  return new Map(r.rows.map((x) => [x.version, x.since]));
}

function fileTime(dir: string, file: string | undefined): string | null {
  if (!file) return null;
  try {
    return statSync(join(dir, file)).mtime.toISOString();
  } catch {
    return null;
  }
}

export async function migrationsInfo(
  client: pg.Client,
  target: Target,
  given: MigrationsSource,
  now: Date,
  since?: PendingSince,
): Promise<MigrationsInfo> {
  // Located once here too: pending files' times are read from the folder status read them from.
  const source = locateMigrations(given);
  const status = await statusWithClient(client, { target, source });
  const recorded = since
    ? await since(
        status.trackingTable,
        status.pending.map((p) => p.version),
      )
    : await pendingSinceRecorded(client, status.trackingTable);
  const files = new Map(status.entries.map((e) => [e.version, e.file]));
  const pending: PendingMigration[] = status.pending.map((p) => ({
    version: p.version,
    name: p.name,
    pendingSince: recorded.get(p.version) ?? fileTime(source.dir, files.get(p.version)),
  }));
  const times = pending.map((p) => (p.pendingSince ? Date.parse(p.pendingSince) : Number.NaN));
  const known = times.filter((t) => !Number.isNaN(t));
  return {
    framework: status.framework,
    trackingTable: status.trackingTable,
    pending,
    attention: status.entries
      .filter((e) => ATTENTION_STATES.has(e.state) && e.state !== 'out-of-order')
      .map((e) => ({
        version: e.version,
        name: e.name,
        state: e.state,
        ...(e.direction ? { direction: e.direction } : {}),
      })),
    applied: status.counts.applied,
    oldestPendingMs: known.length ? Math.max(0, now.getTime() - Math.min(...known)) : null,
  };
}
