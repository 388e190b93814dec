// Top statements by total time from pg_stat_statements, when the extension is installed in this
// database and loaded. Column names depend on the extension's version, not the server's (1.8, PG13:
// total_time -> total_exec_time + total_plan_time), so they are read from the view itself.
import { quoteIdent } from '../db/connect.js';
import { type Q, rows } from './sql.js';
import type { TopQuery } from './types.js';

export type Statements = { installed: false; reason: string } | { installed: true; top: TopQuery[] };

export async function topStatements(c: Q, limit: number): Promise<Statements> {
  const ext = await rows<{ schema: string }>(
    c,
    `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname = 'pg_stat_statements'`,
  );
  if (!ext[0]) return { installed: false, reason: 'pg_stat_statements is not installed in this database' };
  const view = `${quoteIdent(ext[0].schema)}.pg_stat_statements`;
  const cols = new Set(
    (
      await rows<{ attname: string }>(c, 'SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass', [
        view,
      ])
    ).map((r) => r.attname),
  );
  const total = cols.has('total_exec_time')
    ? cols.has('total_plan_time')
      ? '(total_exec_time + total_plan_time)'
      : 'total_exec_time'
    : 'total_time';
  try {
    const top = await rows<TopQuery>(
      c,
      `SELECT queryid::text AS queryid, calls::float8 AS calls, ${total}::float8 AS "totalMs",
              (${total} / nullif(calls, 0))::float8 AS "meanMs", rows::float8 AS rows,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 200) AS query
         FROM ${view} WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY ${total} DESC LIMIT $1`,
      [limit],
    );
    return { installed: true, top };
  } catch (err) {
    // 55000: installed but not in shared_preload_libraries
    return { installed: false, reason: (err as Error).message };
  }
}
