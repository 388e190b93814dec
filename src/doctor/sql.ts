// Small helpers for the monitor's queries: numbers come back as float8 (pg returns int8/numeric as
// strings), and every query runs under the monitor session's statement_timeout.
import type pg from 'pg';

export type Q = Pick<pg.Client, 'query'>;

export async function rows<T extends pg.QueryResultRow>(client: Q, sql: string, params: unknown[] = []) {
  return (await client.query<T>(sql, params)).rows;
}

export async function one<T extends pg.QueryResultRow>(client: Q, sql: string, params: unknown[] = []) {
  const r = (await client.query<T>(sql, params)).rows[0];
  if (!r) throw new Error(`query returned no row: ${sql.slice(0, 60)}`);
  return r;
}

/** Session settings for the monitor's connection: it must never hang nor queue behind DDL. */
export async function prepareSession(client: Q, statementTimeoutMs: number): Promise<void> {
  await client.query(
    `SET statement_timeout = ${Math.max(100, Math.round(statementTimeoutMs))}; SET lock_timeout = 1000;` +
      ' SET idle_in_transaction_session_timeout = 60000',
  );
}
