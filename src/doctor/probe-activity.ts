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

export async function activity(c: Q, versionNum: number): Promise<Activity> {
  const states = await rows<{ state: string | null; n: number }>(
    c,
    `SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n FROM pg_stat_activity
      WHERE backend_type = 'client backend' GROUP BY 1`,
  );
  const byState: Record<string, number> = {};
  let total = 0;
  for (const s of states) {
    byState[s.state ?? 'unknown'] = s.n;
    total += s.n;
  }
  // Non-idle client sessions other than ours, oldest first: the candidates for every session check.
  const sessions = await rows<Session>(
    c,
    `SELECT pid, usename AS "user", datname, application_name AS app, state,
            coalesce(extract(epoch FROM now() - state_change) * 1000, 0)::float8 AS "stateMs",
            coalesce(extract(epoch FROM now() - query_start) * 1000, 0)::float8 AS "queryMs",
            left(query, 300) AS query
       FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state IS NOT NULL
        AND state <> 'idle'
      ORDER BY least(state_change, query_start) NULLS LAST LIMIT 50`,
  );
  const waitStart =
    versionNum >= 140000
      ? '(SELECT min(l.waitstart) FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted)'
      : 'NULL::timestamptz';
  const waits = await rows<LockWait>(
    c,
    `SELECT a.pid, a.usename AS "user", a.datname,
            (extract(epoch FROM now() - coalesce(${waitStart}, a.state_change, now())) * 1000)::float8 AS "waitMs",
            left(a.query, 300) AS query,
            coalesce((SELECT json_agg(json_build_object('pid', b.pid, 'user', b.usename, 'state', b.state,
                                                        'query', left(b.query, 300)))
                        FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(a.pid))), '[]') AS blockers
       FROM pg_stat_activity a
      WHERE a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()
      ORDER BY 4 DESC LIMIT 20`,
  );
  for (const w of waits) w.waitMs = Number(w.waitMs);
  return { byState, clientConnections: total, sessions, waits };
}
