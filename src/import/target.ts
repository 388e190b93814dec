// The table records go to. pgward never creates it behind the migrations' back: it must exist (written
// by `pgward import --emit-migration`, applied with `pgward migrate`), with a unique key column, a jsonb
// column and the configured extracted columns. Rows are written per batch: COPY into a temporary staging
// table, then one INSERT … ON CONFLICT DO UPDATE … WHERE data IS DISTINCT FROM, so an unchanged row is
// never touched (a second run writes nothing) — in the same transaction as the run's checkpoint. The
// proof reads the table back in one scan (scanRows).
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { quoteIdent } from '../db/connect.js';
import { PgwardError } from '../errors.js';
import { type SqlHashRow, sqlHashQuery } from './sql-hash.js';
import type { ImportMapping } from './types.js';

export function tableRef(table: string): string {
  const parts = table.split('.');
  return parts.map(quoteIdent).join('.');
}

/**
 * The migration that creates the mapped table (up) and drops it (down), in pgward's file format.
 *
 * @example
 * ```ts
 * import { mappingMigrationSql } from 'pgward';
 * const sql = mappingMigrationSql({ table: 'json_store', keyColumn: 'kind', dataColumn: 'data', updatedAtColumn: 'updated_at', columns: {} });
 * console.log(sql); // -- migrate:up CREATE TABLE "json_store" (…)
 * ```
 */
export function mappingMigrationSql(m: ImportMapping): string {
  const cols = [
    `  ${quoteIdent(m.keyColumn)} text PRIMARY KEY`,
    `  ${quoteIdent(m.dataColumn)} jsonb NOT NULL`,
    ...Object.keys(m.columns).map((c) => `  ${quoteIdent(c)} text`),
    ...(m.updatedAtColumn ? [`  ${quoteIdent(m.updatedAtColumn)} timestamptz NOT NULL DEFAULT now()`] : []),
  ];
  return `-- migrate:up\nCREATE TABLE ${tableRef(m.table)} (\n${cols.join(',\n')}\n);\n\n-- migrate:down\nDROP TABLE ${tableRef(m.table)};\n`;
}

/** Column name → SQL type of the mapped columns; throws a one-line error naming what is missing. */
export async function checkTarget(client: pg.Client, m: ImportMapping): Promise<Record<string, string>> {
  const r = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid AS oid', [
    tableRef(m.table),
  ]);
  const oid = r.rows[0]?.oid;
  if (!oid)
    throw new PgwardError(`table ${m.table} does not exist`, {
      hint: 'write its migration with `pgward import --emit-migration`, review it and apply it with `pgward migrate`',
    });
  const cols = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped`,
    [oid],
  );
  const types = Object.fromEntries(cols.rows.map((c) => [c.name, c.type]));
  const wanted = [
    m.keyColumn,
    m.dataColumn,
    ...Object.keys(m.columns),
    ...(m.updatedAtColumn ? [m.updatedAtColumn] : []),
  ];
  for (const c of wanted)
    if (!types[c])
      throw new PgwardError(`table ${m.table} has no column ${c}`, {
        hint: 'add it with a migration, or change import: in pgward.yaml',
      });
  if (!/^jsonb$/.test(types[m.dataColumn]!))
    throw new PgwardError(`column ${m.table}.${m.dataColumn} is ${types[m.dataColumn]}, not jsonb`);
  const uniq = await client.query(
    `SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE i.indrelid = $1 AND i.indisunique AND i.indnatts = 1 AND i.indpred IS NULL AND a.attname = $2`,
    [oid, m.keyColumn],
  );
  if (uniq.rowCount === 0)
    throw new PgwardError(`column ${m.table}.${m.keyColumn} has no unique index: an import upserts by it`, {
      hint: 'make it the primary key (or add a unique index) in a migration',
    });
  return types;
}

/**
 * Whether batches may be written on several connections at once: no user triggers and no unique or
 * exclusion index besides the key's. Rows of different keys then never wait on each other; otherwise a
 * later batch could hold what an earlier one waits for while it waits for the earlier one to commit.
 */
export async function concurrentWritesSafe(client: pg.Client, m: ImportMapping): Promise<boolean> {
  const r = await client.query<{ triggers: number; uniques: number }>(
    `SELECT (SELECT count(*)::int FROM pg_trigger WHERE tgrelid = to_regclass($1) AND NOT tgisinternal) AS triggers,
            (SELECT count(*)::int FROM pg_index WHERE indrelid = to_regclass($1) AND (indisunique OR indisexclusion)) AS uniques`,
    [tableRef(m.table)],
  );
  return r.rows[0]!.triggers === 0 && r.rows[0]!.uniques === 1;
}

export interface BatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** A plain insert was tried and a key already existed (the batch was upserted instead). */
  conflicted: boolean;
}

/**
 * Writes one staged batch (stager.ts: a temporary table of COPY-parsed rows with distinct keys) inside the
 * caller's transaction, and drops its table with it. Only the counts come back, never the rows. With
 * `plainFirst`, a plain INSERT is tried first (half the cost of ON CONFLICT's speculative insertion,
 * measured), inside a savepoint: if any key exists already — a re-run, or another writer — it is undone
 * and the batch upserted.
 */
export async function writeStaged(
  client: pg.Client,
  m: ImportMapping,
  types: Record<string, string>,
  batch: { table: string; lines: number },
  plainFirst = false,
): Promise<BatchResult> {
  const extra = Object.entries(m.columns);
  const cols = [m.keyColumn, m.dataColumn, ...extra.map(([c]) => c)].map(quoteIdent);
  const exprs = ['k', 'd', ...extra.map(([c, path]) => `(d #>> ${pathLiteral(path)})::${types[c]}`)];
  const insert = `INSERT INTO ${tableRef(m.table)} AS t (${cols.join(', ')})
       SELECT ${exprs.join(', ')} FROM ${batch.table}`;
  const plain = plainFirst ? await insertIfAllNew(client, insert) : undefined;
  const counts = plain === undefined ? await upsert(client, m, insert) : { inserted: plain, written: plain };
  await client.query(`DROP TABLE ${batch.table}`);
  return {
    inserted: counts.inserted,
    updated: counts.written - counts.inserted,
    unchanged: batch.lines - counts.written,
    conflicted: plainFirst && plain === undefined,
  };
}

/** The rows inserted, or undefined when a key existed (unique violation: nothing of it is kept). */
async function insertIfAllNew(client: pg.Client, insert: string): Promise<number | undefined> {
  await client.query('SAVEPOINT pgward_plain_insert');
  try {
    const r = await client.query(insert);
    await client.query('RELEASE SAVEPOINT pgward_plain_insert');
    return r.rowCount ?? 0;
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    await client.query('ROLLBACK TO SAVEPOINT pgward_plain_insert');
    return undefined;
  }
}

/** INSERT … ON CONFLICT DO UPDATE, touching only rows whose value differs (a re-run writes nothing). */
async function upsert(
  client: pg.Client,
  m: ImportMapping,
  insert: string,
): Promise<{ inserted: number; written: number }> {
  const sets = [m.dataColumn, ...Object.keys(m.columns)].map(
    (c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`,
  );
  if (m.updatedAtColumn) sets.push(`${quoteIdent(m.updatedAtColumn)} = now()`);
  // in the staged order: sorting by key first measured 1.6× slower per batch (the sort, and no fewer index
  // page visits at a batch's size)
  const r = await client.query<{ inserted: string; written: string }>(
    `WITH w AS (
       ${insert}
       ON CONFLICT (${quoteIdent(m.keyColumn)}) DO UPDATE SET ${sets.join(', ')}
       WHERE t.${quoteIdent(m.dataColumn)} IS DISTINCT FROM excluded.${quoteIdent(m.dataColumn)}
       RETURNING (xmax = 0) AS inserted)
     SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) AS written FROM w`,
  );
  return { inserted: Number(r.rows[0]!.inserted), written: Number(r.rows[0]!.written) };
}

function pathLiteral(path: string): string {
  const parts = path.split('.').map((p) => `"${p.replace(/["\\]/g, '\\$&')}"`);
  return `'{${parts.join(',').replace(/'/g, "''")}}'`;
}

/** The stored rows for these keys: key → parsed jsonb. */
export async function readRows(
  client: pg.Client,
  m: ImportMapping,
  keys: string[],
): Promise<Map<string, unknown>> {
  const r = await client.query<{ k: string; d: string }>({
    text: `SELECT ${quoteIdent(m.keyColumn)} AS k, ${quoteIdent(m.dataColumn)}::text AS d FROM ${tableRef(m.table)} WHERE ${quoteIdent(m.keyColumn)} = ANY($1::text[])`,
    values: [keys],
  });
  return new Map(r.rows.map((row) => [row.k, JSON.parse(row.d)]));
}

/**
 * The count and content hash of the target's rows whose keys are `keys` (COPY text lines of a key each),
 * in one statement: the keys go to a temporary table, joined with the target.
 */
export async function hashTargetRows(
  client: pg.Client,
  m: ImportMapping,
  keys: AsyncIterable<string[]>,
): Promise<SqlHashRow> {
  await client.query('BEGIN');
  try {
    await client.query('CREATE TEMP TABLE pgward_import_keys (k text) ON COMMIT DROP');
    const stream = client.query(copyFrom('COPY pgward_import_keys (k) FROM STDIN'));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('finish', resolve);
    });
    for await (const run of keys)
      if (!stream.write(`${run.join('\n')}\n`)) await new Promise((r) => stream.once('drain', r));
    stream.end();
    await done;
    const key = `t.${quoteIdent(m.keyColumn)}`;
    const r = await client.query<SqlHashRow>(
      sqlHashQuery(
        `pgward_import_keys s JOIN ${tableRef(m.table)} t ON ${key} = s.k`,
        `${key}::text`,
        `t.${quoteIdent(m.dataColumn)}`,
      ),
    );
    await client.query('COMMIT');
    return r.rows[0]!;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
