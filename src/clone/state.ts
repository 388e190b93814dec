// A clone target is the user's database, so a failed or killed clone cannot simply drop it. Instead the
// target itself says it is incomplete, from before the first write until validation passes: one row in
// pgward_clone.state. A successful clone removes the schema; anything else leaves it, so a partial
// copy never looks like a finished one (the next clone refuses without --clean, --compare-only reports it).
import { hostname } from 'node:os';
import { withClient } from '../db/connect.js';

export const CLONE_STATE_SCHEMA = 'pgward_clone';

export interface CloneMark {
  state: 'incomplete';
  startedAt: string;
  source: string;
  host: string;
  pid: number;
}

/** Marks `url`'s database as holding an incomplete clone of `source` (a redacted URL or env name). */
export async function markCloneIncomplete(url: string, source: string): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${CLONE_STATE_SCHEMA}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${CLONE_STATE_SCHEMA}.state (
      state text NOT NULL, started_at timestamptz NOT NULL, source text NOT NULL, host text NOT NULL, pid int NOT NULL)`);
    await c.query(`DELETE FROM ${CLONE_STATE_SCHEMA}.state`);
    await c.query(`INSERT INTO ${CLONE_STATE_SCHEMA}.state VALUES ('incomplete', now(), $1, $2, $3)`, [
      source,
      hostname(),
      process.pid,
    ]);
  });
}

export async function clearCloneMark(url: string): Promise<void> {
  await withClient(url, (c) => c.query(`DROP SCHEMA IF EXISTS ${CLONE_STATE_SCHEMA} CASCADE`));
}

export async function readCloneMark(url: string): Promise<CloneMark | null> {
  return withClient(url, async (c) => {
    const exists = await c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
      `${CLONE_STATE_SCHEMA}.state`,
    ]);
    if (!exists.rows[0]?.t) return null;
    const r = await c.query<{ state: string; started: string; source: string; host: string; pid: number }>(
      `SELECT state, started_at::text AS started, source, host, pid FROM ${CLONE_STATE_SCHEMA}.state LIMIT 1`,
    );
    const row = r.rows[0];
    // The schema without its row still means a clone began (killed between the two statements).
    if (!row)
      return { state: 'incomplete', startedAt: 'unknown', source: 'unknown', host: 'unknown', pid: 0 };
    return { state: 'incomplete', startedAt: row.started, source: row.source, host: row.host, pid: row.pid };
  });
}

export function describeMark(m: CloneMark): string {
  return `an incomplete clone of ${m.source} (started ${m.startedAt} by pid ${m.pid} on ${m.host})`;
}

/** Whether the only user objects left in the database are the mark's own (a failed clone, emptied). */
export async function onlyMarkLeft(url: string): Promise<boolean> {
  return withClient(url, async (c) => {
    const r = await c.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', $1) AND n.nspname NOT LIKE 'pg\\_toast%'
         AND n.nspname NOT LIKE 'pg\\_temp%'
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`,
      [CLONE_STATE_SCHEMA],
    );
    return Number(r.rows[0]?.n ?? 0) === 0;
  });
}
