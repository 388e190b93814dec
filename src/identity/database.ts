// What a connection really reaches, whatever URL spelled it: the cluster (its system identifier) and the
// database (its oid in that cluster). Two URLs reach the same database exactly when these are equal.
import type pg from 'pg';

export interface DatabaseIdentity {
  /** pg_control_system().system_identifier, or null where the function is not executable (managed servers). */
  systemId: string | null;
  /** `postmaster start time|port`: tells clusters apart when the system identifier is not readable. */
  startedPort: string;
  /**
   * Neon's timeline (`neon.timeline_id`), null elsewhere. Every branch of a Neon project is a copy with
   * the same system identifier and database oid; its timeline is what tells a branch from its parent.
   */
  timeline: string | null;
  /** The cluster part of the fingerprint: the system identifier, else startedPort; with Neon's timeline. */
  server: string;
  databaseOid: string;
  database: string;
  /** `${server}/${databaseOid}`: equal for every spelling of one database, different for any copy of it. */
  fingerprint: string;
}

/**
 * Who a connection really reaches: its cluster (system identifier) and database (oid), whatever the URL.
 *
 * @example
 * ```ts
 * import { describeIdentity, readDatabaseIdentity } from 'pgward';
 * declare const client: Parameters<typeof readDatabaseIdentity>[0]; // a connected pg.Client
 * console.log(describeIdentity(await readDatabaseIdentity(client)));
 * ```
 */
export async function readDatabaseIdentity(client: pg.Client): Promise<DatabaseIdentity> {
  const r = await client.query<{
    db: string;
    oid: string;
    started: string;
    port: string;
    timeline: string | null;
  }>(
    `SELECT current_database() AS db, d.oid::text AS oid, pg_postmaster_start_time()::text AS started,
            current_setting('port') AS port,
            nullif(current_setting('neon.timeline_id', true), '') AS timeline
       FROM pg_database d WHERE d.datname = current_database()`,
  );
  const row = r.rows[0]!;
  const systemId = await readSystemId(client);
  // Without the system identifier, start time and port still tell clusters apart (until a restart).
  const startedPort = `${row.started}|${row.port}`;
  const timeline = row.timeline ?? null;
  const server = `${systemId ?? startedPort}${timeline ? `/neon:${timeline}` : ''}`;
  return {
    systemId,
    startedPort,
    timeline,
    server,
    databaseOid: row.oid,
    database: row.db,
    fingerprint: `${server}/${row.oid}`,
  };
}

async function readSystemId(client: pg.Client): Promise<string | null> {
  try {
    const r = await client.query<{ s: string }>(
      'SELECT system_identifier::text AS s FROM pg_control_system()',
    );
    return r.rows[0]?.s ?? null;
  } catch {
    // EXECUTE on pg_control_system() can be revoked (some managed services): fall back to start time|port
    return null;
  }
}

/**
 * Same cluster: by system identifier when both sides could read it (a role without EXECUTE on
 * pg_control_system() sees null), else by postmaster start time and port.
 */
export function sameServer(a: DatabaseIdentity, b: DatabaseIdentity): boolean {
  // Two Neon branches share everything but their timeline (a missing field: an identity read before it existed).
  if ((a.timeline ?? null) !== (b.timeline ?? null)) return false;
  return a.systemId !== null && b.systemId !== null
    ? a.systemId === b.systemId
    : a.startedPort === b.startedPort;
}

/**
 * Same database: same cluster and same pg_database oid. A copy (any method) has another oid or cluster.
 *
 * @example
 * ```ts
 * import { identifyTarget, resolveTarget, sameDatabase } from 'pgward';
 * const a = await identifyTarget(resolveTarget({ url: 'postgresql://localhost/app' }));
 * const b = await identifyTarget(resolveTarget({ url: 'postgresql://127.0.0.1:5432/app' }));
 * console.log(sameDatabase(a.identification.identity, b.identification.identity)); // true: one database
 * ```
 */
export function sameDatabase(a: DatabaseIdentity, b: DatabaseIdentity): boolean {
  return a.databaseOid === b.databaseOid && sameServer(a, b);
}

/**
 * Short form for messages: `system 7312345678901234567, database oid 16384`.
 *
 * @example
 * ```ts
 * import { describeIdentity, identifyTarget, resolveTarget } from 'pgward';
 * const t = await identifyTarget(resolveTarget({ url: 'postgresql://localhost/app' }));
 * console.log(describeIdentity(t.identification.identity));
 * ```
 */
export function describeIdentity(id: DatabaseIdentity): string {
  return `${id.systemId ? `system ${id.systemId}` : `server started ${id.server}`}, database oid ${id.databaseOid}`;
}
