// Sessions: connections by state, idle-in-transaction and long-running sessions, and lock waits with
// who blocks whom. pg_locks.waitstart (when the wait began) exists from PG14; before, state_change.
import { type Q, rows } from './sql.js';

export interface Session {
  pid: number;
  user: string | null;
  datname: string | null;
  app: string | null;
  state: string;
  /** Time in the current state, ms (idle in transaction: how long idle). */
  stateMs: number;
  /** Time since the current (or last) query started, ms. */
  queryMs: number;
  query: string;
}

export interface LockWait {
  pid: number;
  user: string | null;
  datname: string | null;
  waitMs: number;
  query: string;
  blockers: { pid: number; user: string | null; state: string | null; query: string }[];
}

export interface Activity {
  byState: Record<string, number>;
  clientConnections: number;
  sessions: Session[];
  waits: LockWait[];
}

/**
 * One scan of pg_stat_activity for the three questions (states, sessions, lock waits): on a fleet, 100
 * environments on one server each asked them every refresh, and each scan reads every backend of the
 * server (three of them were ~60 % of the servers' statement time in bench/fleet's job phase).
 */
export async function activity(c: Q, versionNum: number): Promise<Activity> {
  const waitStart =
    versionNum >= 140000
      ? '(SELECT min(l.waitstart) FROM pg_locks l WHERE l.pid = w.pid AND NOT l.granted)'
      : 'NULL::timestamptz';
  const [r] = await rows<{ states: Record<string, number>; sessions: Session[]; waits: LockWait[] }>(
    c,
    `WITH a AS MATERIALIZED (
       SELECT pid, usename, datname, application_name, state, state_change, query_start, query,
              wait_event_type, backend_type = 'client backend' AS client
         FROM pg_stat_activity)
     SELECT
       (SELECT coalesce(json_object_agg(state, n), '{}') FROM (
          SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n FROM a WHERE client GROUP BY 1) s
       ) AS states,
       -- Non-idle client sessions other than ours, oldest first: the candidates for every session check.
       (SELECT coalesce(json_agg(x ORDER BY x.o NULLS LAST), '[]') FROM (
          SELECT pid, usename AS "user", datname, application_name AS app, state,
                 coalesce(extract(epoch FROM now() - state_change) * 1000, 0)::float8 AS "stateMs",
                 coalesce(extract(epoch FROM now() - query_start) * 1000, 0)::float8 AS "queryMs",
                 left(query, 300) AS query, least(state_change, query_start) AS o
            FROM a
           WHERE client AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'
           ORDER BY o NULLS LAST LIMIT 50) x
       ) AS sessions,
       (SELECT coalesce(json_agg(y ORDER BY y."waitMs" DESC), '[]') FROM (
          SELECT w.pid, w.usename AS "user", w.datname,
                 (extract(epoch FROM now() - coalesce(${waitStart}, w.state_change, now())) * 1000)::float8 AS "waitMs",
                 left(w.query, 300) AS query,
                 coalesce((SELECT json_agg(json_build_object('pid', b.pid, 'user', b.usename, 'state', b.state,
                                                             'query', left(b.query, 300)))
                             FROM a b WHERE b.pid = ANY (pg_blocking_pids(w.pid))), '[]') AS blockers
            FROM a w
           WHERE w.wait_event_type = 'Lock' AND w.pid <> pg_backend_pid()
           ORDER BY 4 DESC LIMIT 20) y
       ) AS waits`,
  );
  const byState: Record<string, number> = { ...r!.states };
  const total = Object.values(byState).reduce((n, v) => n + v, 0);
  const sessions = r!.sessions.map(({ o: _o, ...rest }: Session & { o?: unknown }) => rest);
  const waits = r!.waits.map((w) => ({ ...w, waitMs: Number(w.waitMs) }));
  return { byState, clientConnections: total, sessions, waits };
}
