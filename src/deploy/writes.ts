// "How many writes since the deploy": n_tup_ins + n_tup_upd + n_tup_del of every user table, snapshotted
// when the platform deploy starts and compared when a rollback is decided. The server's statistics
// counters (reset by pg_stat_reset or a crash restart: then the count is a lower bound, and says so).
import type pg from 'pg';

const SQL = `SELECT quote_ident(schemaname) || '.' || quote_ident(relname) AS t,
                    (n_tup_ins + n_tup_upd + n_tup_del)::bigint AS n
               FROM pg_stat_user_tables WHERE schemaname <> 'pgward'`;

export async function snapshotWrites(client: pg.Client): Promise<Record<string, number>> {
  // Statistics are read from a snapshot taken at the transaction's first access: read fresh ones.
  await client.query('SELECT pg_stat_clear_snapshot()');
  const res = await client.query<{ t: string; n: string }>(SQL);
  return Object.fromEntries(res.rows.map((r) => [r.t, Number(r.n)]));
}

export interface WritesSince {
  total: number;
  /** Tables written since, with how many rows inserted, updated or deleted. */
  tables: Record<string, number>;
  /** A counter went down: statistics were reset, so the numbers are at least these. */
  lowerBound: boolean;
}

export async function writesSince(client: pg.Client, baseline: Record<string, number>): Promise<WritesSince> {
  const now = await snapshotWrites(client);
  const tables: Record<string, number> = {};
  let lowerBound = false;
  for (const [t, n] of Object.entries(now)) {
    const before = baseline[t] ?? 0;
    if (n < before) lowerBound = true;
    const d = n < before ? n : n - before;
    if (d > 0) tables[t] = d;
  }
  const total = Object.values(tables).reduce((a, b) => a + b, 0);
  return { total, tables, lowerBound };
}
