// Replication seen from this server. On a primary: each standby's replay lag (time and bytes) and the
// slots retaining WAL; on a standby: its own replay lag (postgres_exporter's formula). pg_current_wal_lsn()
// fails during recovery, so a standby measures slot retention against its last received WAL.
// wal_status and safe_wal_size exist from PG13; inactive_since from PG17.
import { type Q, rows } from './sql.js';

export interface Replication {
  standbys: { name: string; state: string | null; lagMs: number | null; lagBytes: number | null }[];
  replicaLagMs: number | null;
  slots: {
    name: string;
    type: string;
    active: boolean;
    walStatus: string | null;
    retainedBytes: number | null;
    inactiveSince: string | null;
  }[];
}

export async function replication(c: Q, versionNum: number, inRecovery: boolean): Promise<Replication> {
  const lsn = inRecovery ? 'pg_last_wal_receive_lsn()' : 'pg_current_wal_lsn()';
  // The view reads every backend of the server to find the WAL senders among them; the EXISTS is a
  // one-time filter that skips that scan when there is no sender (most servers: ~2.5 ms -> 0.5 ms a
  // refresh with 300 backends).
  const standbys = inRecovery
    ? []
    : await rows<Replication['standbys'][number]>(
        c,
        `SELECT coalesce(nullif(application_name, ''), client_addr::text, pid::text) AS name, state,
                (extract(epoch FROM replay_lag) * 1000)::float8 AS "lagMs",
                pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS "lagBytes"
           FROM pg_stat_replication
          WHERE EXISTS (SELECT 1 FROM pg_stat_get_wal_senders())
          ORDER BY 1`,
      );
  let replicaLagMs: number | null = null;
  if (inRecovery) {
    const r = await rows<{ lag: number | null }>(
      c,
      `SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                   ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000) END::float8 AS lag`,
    );
    replicaLagMs = r[0]?.lag ?? null;
  }
  const since = versionNum >= 170000 ? 'inactive_since::text' : 'NULL::text';
  const slots = await rows<Replication['slots'][number]>(
    c,
    `SELECT slot_name AS name, slot_type AS type, active, wal_status AS "walStatus",
            pg_wal_lsn_diff(${lsn}, coalesce(restart_lsn, ${lsn}))::float8 AS "retainedBytes",
            ${since} AS "inactiveSince"
       FROM pg_replication_slots ORDER BY 1`,
  );
  return { standbys, replicaLagMs, slots };
}
