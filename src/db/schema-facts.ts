// The live schema facts lint needs (sizes, columns, constraints, index tables, function volatility), read
// in one round of read-only, parameterised catalog queries for just the names the analysed SQL mentions.
// Sizes come from pg_class statistics and relation sizes (no table scans). Lint itself never connects:
// callers load these facts here and pass them in (see src/lint/index.ts).
import type pg from 'pg';
import type { ColumnInfo, SchemaFacts, SchemaNeeds, TableInfo } from '../sql/schema-facts.js';
import { appName, withClient } from './connect.js';

const NOT_NULL_CHECK = /^CHECK \(\(?"?([^"()\s]+)"? IS NOT NULL\)?\)$/i;

/**
 * Facts for the names lint needs (a prepared input's `needs`), from this connected client: read them just
 * before deciding, on the connection the change will run on.
 *
 * @example
 * ```ts
 * import { lintPrepared, loadSchemaFacts, prepareSql } from 'pgward';
 * declare const client: Parameters<typeof loadSchemaFacts>[0]; // a connected pg.Client
 * const input = await prepareSql('CREATE INDEX orders_at ON orders (created_at);');
 * const report = lintPrepared(input, { schemaFacts: await loadSchemaFacts(client, input.needs) });
 * console.log(report.summary.findings);
 * ```
 */
export async function loadSchemaFacts(client: pg.Client, needs: SchemaNeeds): Promise<SchemaFacts> {
  // Copied: the tables of the indexes found are added below, and the caller's needs stay as they were.
  const want = { tables: new Set(needs.tables), indexes: needs.indexes, functions: needs.functions };
  const version = Number(
    (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v ?? 0,
  );
  // Indexes first: DROP INDEX / REINDEX name only the index, whose table we then need too.
  const indexes = await loadIndexes(client, [...new Set([...want.indexes, ...want.tables])]);
  for (const i of indexes.values()) want.tables.add(i.table.toLowerCase());
  const { tables, byOid } = await loadTables(client, [...want.tables]);
  if (byOid.size > 0) {
    const names = await loadColumns(client, byOid);
    await loadConstraints(client, byOid, names);
    await loadIndexLeads(client, byOid, names);
  }
  const fns = await client.query<{ name: string; vol: string }>(
    'SELECT lower(proname) AS name, max(provolatile::text) AS vol FROM pg_proc WHERE lower(proname) = ANY ($1::text[]) GROUP BY 1',
    [[...want.functions]],
  );
  return {
    serverVersionNum: version,
    tables,
    functionVolatility: new Map(fns.rows.map((f) => [f.name, f.vol])),
    indexes,
  };
}

/** Table oid -> its facts, being filled in by the loaders below. */
type ByOid = Map<number, TableInfo>;
/** "<table oid>.<attnum>" -> lower-case column name, to read constraint and index keys. */
type ColumnNames = Map<string, string>;

async function loadIndexes(
  client: pg.Client,
  names: string[],
): Promise<Map<string, { table: string; hasNullableColumn: boolean }>> {
  const idx = await client.query<{ index: string; table: string; nullable: boolean }>(
    `SELECT ic.relname AS index, tc.relname AS table,
            bool_or(NOT a.attnotnull) AS nullable
       FROM pg_index x
       JOIN pg_class ic ON ic.oid = x.indexrelid
       JOIN pg_class tc ON tc.oid = x.indrelid
       LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey::int2[]) AND a.attnum > 0
      WHERE ic.relname = ANY ($1::text[]) AND pg_table_is_visible(ic.oid)
      GROUP BY ic.relname, tc.relname`,
    [names],
  );
  const indexes = new Map<string, { table: string; hasNullableColumn: boolean }>();
  for (const r of idx.rows)
    indexes.set(r.index.toLowerCase(), { table: r.table, hasNullableColumn: r.nullable === true });
  return indexes;
}

async function loadTables(
  client: pg.Client,
  names: string[],
): Promise<{ tables: Map<string, TableInfo>; byOid: ByOid }> {
  const rels = await client.query<{
    oid: number;
    schema: string;
    name: string;
    rows: number;
    bytes: string;
    empty: boolean;
    persistence: string;
    am: string | null;
  }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS rows,
            pg_total_relation_size(c.oid)::text AS bytes, pg_relation_size(c.oid) = 0 AND c.relkind <> 'p' AS empty,
            c.relpersistence::text AS persistence, am.amname AS am
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_am am ON am.oid = c.relam
      WHERE lower(c.relname) = ANY ($1::text[]) AND c.relkind IN ('r', 'p', 'm', 'f')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      ORDER BY pg_table_is_visible(c.oid) DESC`,
    [names],
  );
  const tables = new Map<string, TableInfo>();
  const byOid: ByOid = new Map();
  for (const r of rels.rows) {
    const key = r.name.toLowerCase();
    if (tables.has(key)) continue; // the visible one wins
    const info: TableInfo = {
      schema: r.schema,
      name: r.name,
      rows: Math.max(0, r.rows),
      bytes: Number(r.bytes),
      empty: r.empty,
      columns: new Map(),
      notNullChecked: new Set(),
      constraints: new Map(),
      indexLeads: [],
      checkedColumns: new Set(),
      persistence: r.persistence,
      accessMethod: r.am,
    };
    tables.set(key, info);
    byOid.set(r.oid, info);
  }
  return { tables, byOid };
}

async function loadColumns(client: pg.Client, byOid: ByOid): Promise<ColumnNames> {
  const cols = await client.query<{ rel: number; num: number; name: string; type: string; notnull: boolean }>(
    `SELECT attrelid::int AS rel, attnum AS num, attname AS name, format_type(atttypid, atttypmod) AS type,
            attnotnull AS notnull
       FROM pg_attribute WHERE attrelid = ANY ($1::oid[]) AND attnum > 0 AND NOT attisdropped`,
    [[...byOid.keys()]],
  );
  const names: ColumnNames = new Map();
  for (const c of cols.rows) {
    byOid
      .get(c.rel)
      ?.columns.set(c.name.toLowerCase(), { type: c.type, notNull: c.notnull } satisfies ColumnInfo);
    names.set(`${c.rel}.${c.num}`, c.name.toLowerCase());
  }
  return names;
}

async function loadConstraints(client: pg.Client, byOid: ByOid, names: ColumnNames): Promise<void> {
  const cons = await client.query<{
    rel: number;
    name: string;
    type: string;
    valid: boolean;
    def: string;
    keys: number[] | null;
  }>(
    `SELECT conrelid::int AS rel, conname AS name, contype::text AS type, convalidated AS valid,
            pg_get_constraintdef(oid) AS def, conkey::int[] AS keys
       FROM pg_constraint WHERE conrelid = ANY ($1::oid[])`,
    [[...byOid.keys()]],
  );
  for (const c of cons.rows) {
    const t = byOid.get(c.rel);
    if (!t) continue;
    t.constraints.set(c.name.toLowerCase(), c.type);
    if (c.type === 'c' && c.valid) {
      for (const k of c.keys ?? []) t.checkedColumns.add(names.get(`${c.rel}.${k}`) ?? '');
      const m = NOT_NULL_CHECK.exec(c.def);
      if (m?.[1]) t.notNullChecked.add(m[1].toLowerCase());
    }
  }
}

async function loadIndexLeads(client: pg.Client, byOid: ByOid, names: ColumnNames): Promise<void> {
  const leads = await client.query<{ rel: number; keys: number[] }>(
    'SELECT indrelid::int AS rel, indkey::int2[]::int[] AS keys FROM pg_index WHERE indrelid = ANY ($1::oid[]) AND indisvalid',
    [[...byOid.keys()]],
  );
  for (const l of leads.rows)
    byOid.get(l.rel)?.indexLeads.push(l.keys.map((k) => names.get(`${l.rel}.${k}`) ?? 'expr'));
}

/**
 * Connects to `url` just long enough to load the facts (shown as "pgward lint" in pg_stat_activity).
 *
 * @example
 * ```ts
 * import { lintPrepared, prepareSql, readSchemaFacts } from 'pgward';
 * const input = await prepareSql('ALTER TABLE orders ALTER COLUMN id TYPE bigint;');
 * const schemaFacts = await readSchemaFacts('postgresql://localhost/app', input.needs);
 * console.log(lintPrepared(input, { schemaFacts }).files[0]!.findings.length);
 * ```
 */
export function readSchemaFacts(url: string, needs: SchemaNeeds): Promise<SchemaFacts> {
  return withClient(url, (client) => loadSchemaFacts(client, needs), { applicationName: appName('lint') });
}
