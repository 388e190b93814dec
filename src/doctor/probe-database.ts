// Server-wide and database-wide figures: version, settings, pg_stat_database, wraparound, checkpoints.
// Version notes: PG17 moved checkpoint counters from pg_stat_bgwriter to pg_stat_checkpointer.
import type { ServerKey } from './server-share.js';
import { one, type Q, rows } from './sql.js';

export interface ServerInfo {
  versionNum: number;
  version: string;
  inRecovery: boolean;
  maxConnections: number;
  reservedConnections: number;
  /** Which server this session is on and as whom: readings of the whole server are shared by it. */
  key: ServerKey;
  /** This session's backend. */
  pid: number;
}

export async function serverInfo(c: Q): Promise<ServerInfo> {
  const r = await one<{
    v: number;
    version: string;
    rec: boolean;
    maxc: number;
    reserved: number;
    server: string;
    role: string;
    pid: number;
  }>(
    c,
    `SELECT current_setting('server_version_num')::int AS v, current_setting('server_version') AS version,
            pg_is_in_recovery() AS rec, current_setting('max_connections')::int AS maxc,
            current_setting('superuser_reserved_connections')::int AS reserved,
            concat_ws(' ', extract(epoch FROM pg_postmaster_start_time())::numeric, inet_server_port(),
                      inet_server_addr()) AS server,
            current_user AS role, pg_backend_pid() AS pid`,
  );
  return {
    versionNum: r.v,
    version: r.version,
    inRecovery: r.rec,
    maxConnections: r.maxc,
    reservedConnections: r.reserved,
    key: { server: r.server, role: r.role },
    pid: r.pid,
  };
}

export interface DatabaseStats {
  sizeBytes: number;
  xactCommit: number;
  xactRollback: number;
  blksRead: number;
  blksHit: number;
  deadlocks: number;
  tempBytes: number;
  conflicts: number;
}

export async function databaseStats(c: Q): Promise<DatabaseStats> {
  const r = await one<Record<string, number>>(
    c,
    `SELECT pg_database_size(current_database())::float8 AS size, xact_commit::float8 AS commit,
            xact_rollback::float8 AS rollback, blks_read::float8 AS read, blks_hit::float8 AS hit,
            deadlocks::float8 AS deadlocks, temp_bytes::float8 AS temp, conflicts::float8 AS conflicts
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  return {
    sizeBytes: r.size ?? 0,
    xactCommit: r.commit ?? 0,
    xactRollback: r.rollback ?? 0,
    blksRead: r.read ?? 0,
    blksHit: r.hit ?? 0,
    deadlocks: r.deadlocks ?? 0,
    tempBytes: r.temp ?? 0,
    conflicts: r.conflicts ?? 0,
  };
}

export interface Wraparound {
  xid: { datname: string; age: number };
  mxid: { datname: string; age: number };
  freezeMaxAge: number;
}

/** Oldest unfrozen transaction and multixact over every database that accepts connections. */
export async function wraparound(c: Q): Promise<Wraparound> {
  const list = await rows<{ datname: string; xid: number; mxid: number; fmax: number }>(
    c,
    `SELECT datname, age(datfrozenxid)::float8 AS xid, mxid_age(datminmxid)::float8 AS mxid,
            current_setting('autovacuum_freeze_max_age')::float8 AS fmax
       FROM pg_database WHERE datallowconn`,
  );
  const byXid = [...list].sort((a, b) => b.xid - a.xid)[0];
  const byMxid = [...list].sort((a, b) => b.mxid - a.mxid)[0];
  return {
    xid: { datname: byXid?.datname ?? '', age: byXid?.xid ?? 0 },
    mxid: { datname: byMxid?.datname ?? '', age: byMxid?.mxid ?? 0 },
    freezeMaxAge: list[0]?.fmax ?? 200_000_000,
  };
}

export async function checkpoints(c: Q, versionNum: number): Promise<{ timed: number; requested: number }> {
  const sql =
    versionNum >= 170000
      ? 'SELECT num_timed::float8 AS timed, num_requested::float8 AS requested FROM pg_stat_checkpointer'
      : 'SELECT checkpoints_timed::float8 AS timed, checkpoints_req::float8 AS requested FROM pg_stat_bgwriter';
  return one<{ timed: number; requested: number }>(c, sql);
}
