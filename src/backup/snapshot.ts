// What the database held at the instant of the dump, read inside the dump's own snapshot: the tables
// pg_dump will copy, their exact row counts and (optionally) content hashes, a schema fingerprint and
// the latest applied migration. The same functions run on a restored database to compare.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { qualified } from '../db/connect.js';
import type { TableStat } from './manifest.js';

/**
 * Per-table content hash, order-independent so it needs no sort: the sum of a 64-bit hash of each row's
 * text form (pgcopydb's `compare data` idea). ROW(r.*) rather than `r` so a column named like the alias
 * cannot shadow the whole-row reference.
 */
export const HASH_ALGORITHM = 'sum(hashtextextended(ROW(r.*)::text, 0))';

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
  AND n.nspname NOT LIKE 'pg\\_temp%'`;

/** Ordinary tables and partitions whose data pg_dump copies: not temp, not owned by an extension. */
export async function listTables(client: pg.Client): Promise<{ schema: string; name: string }[]> {
  const res = await client.query<{ schema: string; name: string }>(`
    SELECT n.nspname AS schema, c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND ${USER_SCHEMAS}
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1, 2`);
  return res.rows;
}

export async function tableStat(
  client: pg.Client,
  t: { schema: string; name: string },
  withHash: boolean,
): Promise<TableStat> {
  const rel = qualified(t.schema, t.name);
  const sql = withHash
    ? `SELECT count(*)::text AS n, coalesce(sum(hashtextextended(ROW(r.*)::text, 0)::numeric), 0)::text AS h FROM ${rel} AS r`
    : `SELECT count(*)::text AS n FROM ${rel}`;
  const row = (await client.query<{ n: string; h?: string }>(sql)).rows[0];
  const stat: TableStat = { schema: t.schema, name: t.name, rows: Number(row?.n ?? 0) };
  if (withHash) stat.hash = row?.h ?? '0';
  return stat;
}

/** Counts (and hashes) every table, one after the other on this connection. */
export async function collectTableStats(
  client: pg.Client,
  tables: { schema: string; name: string }[],
  withHash: boolean,
  onTable?: (t: TableStat) => void,
): Promise<TableStat[]> {
  const out: TableStat[] = [];
  for (const t of tables) {
    const s = await tableStat(client, t, withHash);
    onTable?.(s);
    out.push(s);
  }
  return out;
}

/** sha256 over columns, constraints and indexes of user relations: equal schemas give equal fingerprints. */
export async function schemaFingerprint(client: pg.Client): Promise<string> {
  const res = await client.query<{ line: string }>(`
    SELECT line FROM (
      SELECT format('col %s.%s %s %s %s %s', n.nspname, c.relname, c.relkind, a.attname,
                    format_type(a.atttypid, a.atttypmod), a.attnotnull) AS line, 1 AS k, a.attnum AS o
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMAS}
      UNION ALL
      SELECT format('con %s.%s %s %s', n.nspname, c.relname, co.conname, pg_get_constraintdef(co.oid)), 2, 0
      FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_SCHEMAS}
      UNION ALL
      SELECT format('idx %s %s', n.nspname, pg_get_indexdef(i.indexrelid)), 3, 0
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_SCHEMAS}
    ) s ORDER BY k, line, o`);
  const h = createHash('sha256');
  for (const r of res.rows) h.update(`${r.line}\n`);
  return h.digest('hex');
}

// Tracking tables of the frameworks pgward reads, newest-first queries; the first that exists wins.
const MIGRATION_TABLES: { table: string; sql: string }[] = [
  { table: 'pgward.migrations', sql: 'SELECT max(version) AS v FROM pgward.migrations' },
  { table: 'schema_migrations', sql: 'SELECT max(version::text) AS v FROM schema_migrations' },
  { table: 'alembic_version', sql: 'SELECT max(version_num) AS v FROM alembic_version' },
  {
    table: '_prisma_migrations',
    sql: 'SELECT max(migration_name) AS v FROM _prisma_migrations WHERE finished_at IS NOT NULL',
  },
  {
    table: 'flyway_schema_history',
    sql: 'SELECT version AS v FROM flyway_schema_history WHERE success ORDER BY installed_rank DESC LIMIT 1',
  },
  { table: 'pgmigrations', sql: 'SELECT name AS v FROM pgmigrations ORDER BY run_on DESC, id DESC LIMIT 1' },
  { table: 'knex_migrations', sql: 'SELECT name AS v FROM knex_migrations ORDER BY id DESC LIMIT 1' },
  {
    table: 'django_migrations',
    sql: "SELECT app || '.' || name AS v FROM django_migrations ORDER BY applied DESC, id DESC LIMIT 1",
  },
];

export async function latestMigration(client: pg.Client): Promise<{ table: string; version: string } | null> {
  for (const m of MIGRATION_TABLES) {
    const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [m.table]);
    if (!exists.rows[0]?.t) continue;
    // A savepoint so an unexpected column layout cannot abort the snapshot transaction.
    await client.query('SAVEPOINT pgward_latest');
    try {
      const v = (await client.query<{ v: string | null }>(m.sql)).rows[0]?.v;
      await client.query('RELEASE SAVEPOINT pgward_latest');
      if (v) return { table: m.table, version: String(v) };
    } catch {
      await client.query('ROLLBACK TO SAVEPOINT pgward_latest');
    }
  }
  return null;
}

export interface TableDifference {
  table: string;
  message: string;
}

/** The first table whose count or hash differs between the manifest and a restored database. */
export function compareStats(expected: TableStat[], actual: TableStat[]): TableDifference | null {
  const got = new Map(actual.map((t) => [`${t.schema}.${t.name}`, t]));
  for (const e of expected) {
    const name = `${e.schema}.${e.name}`;
    const a = got.get(name);
    if (!a) return { table: name, message: `table ${name} is missing from the restored database` };
    if (a.rows !== e.rows)
      return { table: name, message: `table ${name}: ${a.rows} rows restored, ${e.rows} in the backup` };
    if (e.hash !== undefined && a.hash !== e.hash) {
      return { table: name, message: `table ${name}: content hash differs (${a.rows} rows, same count)` };
    }
  }
  const known = new Set(expected.map((e) => `${e.schema}.${e.name}`));
  const extra = actual.find((a) => !known.has(`${a.schema}.${a.name}`));
  if (extra)
    return {
      table: `${extra.schema}.${extra.name}`,
      message: `table ${extra.schema}.${extra.name} is not in the backup's manifest`,
    };
  return null;
}
