// What the clone copies, read from the source inside the exported snapshot: tables with their columns,
// the indexes and constraints pgward builds itself, sequences and materialized views.
import type pg from 'pg';

export interface CopyColumn {
  name: string;
  type: string;
  notNull: boolean;
  /** Stored generated columns are recomputed by the target: never copied. */
  generated: boolean;
  /** The column alone is unique (single-column unique index). */
  unique: boolean;
  /**
   * A built-in base, range or multirange type (oid below FirstNormalObjectId), not a reg* type: same oid and
   * binary format in every database of one major version, so its values may travel as binary COPY
   * (arrays and records carry element oids; reg* values are raw oids in binary, names in text).
   */
  builtin?: boolean;
}

export interface CopyTable {
  oid: number;
  schema: string;
  name: string;
  /** The partitioned table at the top of this partition's tree (itself for an ordinary table). */
  rootSchema: string;
  rootName: string;
  /** On-disk size incl. TOAST: the estimate behind ordering (largest first) and ETA. */
  bytes: number;
  /** Heap pages (without TOAST) when the plan was made: where a split table's page ranges fall. */
  pages: number;
  columns: CopyColumn[];
}

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
  AND n.nspname NOT LIKE 'pg\\_temp%'`;
const NOT_EXTENSION = (alias: string) => `NOT EXISTS (SELECT 1 FROM pg_depend d
  WHERE d.classid = 'pg_class'::regclass AND d.objid = ${alias}.oid AND d.deptype = 'e')`;

/** Ordinary tables and leaf partitions holding data (not temp, not owned by an extension). */
export async function listCopyTables(client: pg.Client): Promise<CopyTable[]> {
  const tables = await client.query<{
    oid: number;
    schema: string;
    name: string;
    root_schema: string;
    root_name: string;
    bytes: string;
    pages: string;
  }>(`
    SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name,
           rn.nspname AS root_schema, r.relname AS root_name, pg_table_size(c.oid)::text AS bytes,
           (pg_relation_size(c.oid) / current_setting('block_size')::int)::text AS pages
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class r ON r.oid = coalesce(pg_partition_root(c.oid), c.oid)
    JOIN pg_namespace rn ON rn.oid = r.relnamespace
    WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND ${USER_SCHEMAS} AND ${NOT_EXTENSION('c')}
    ORDER BY 2, 3`);
  const cols = await client.query<{
    oid: number;
    name: string;
    type: string;
    not_null: boolean;
    generated: boolean;
    is_unique: boolean;
    builtin: boolean;
  }>(`
    SELECT a.attrelid::int AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS not_null, a.attgenerated <> '' AS generated,
           -- reg* values travel as raw oids in binary, which differ between databases
           (a.atttypid < 16384 AND ty.typtype IN ('b', 'r', 'm') AND ty.typname !~ '^_?reg') AS builtin,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique
                   AND i.indnatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL) AS is_unique
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_type ty ON ty.oid = a.atttypid
    WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND ${USER_SCHEMAS}
    ORDER BY a.attrelid, a.attnum`);
  const byOid = new Map<number, CopyColumn[]>();
  for (const c of cols.rows) {
    const list = byOid.get(c.oid) ?? [];
    list.push({
      name: c.name,
      type: c.type,
      notNull: c.not_null,
      generated: c.generated,
      unique: c.is_unique,
      builtin: c.builtin,
    });
    byOid.set(c.oid, list);
  }
  return tables.rows.map((t) => ({
    oid: t.oid,
    schema: t.schema,
    name: t.name,
    rootSchema: t.root_schema,
    rootName: t.root_name,
    bytes: Number(t.bytes),
    pages: Number(t.pages),
    columns: byOid.get(t.oid) ?? [],
  }));
}

export interface IndexTask {
  table: { schema: string; name: string };
  /** pg_get_indexdef of the index (search_path is empty, so every name is qualified). */
  indexDef: string;
  indexOid: number;
  indexName: string;
  /** PRIMARY KEY/UNIQUE backed by this index: attached with ADD CONSTRAINT ... USING INDEX afterwards. */
  constraint?: { oid: number; name: string; type: 'p' | 'u'; deferrable: boolean; deferred: boolean };
  clustered: boolean;
  replicaIdentity: boolean;
}

/**
 * Indexes and PRIMARY KEY/UNIQUE constraints of ordinary (non-partitioned, non-partition) tables that
 * pgward builds in parallel. Anything else (exclusion constraints, partitioned indexes, expression or
 * partial constraint indexes) stays with pg_restore's post-data step, which knows how to do it.
 */
export async function listIndexTasks(client: pg.Client, tableOids: number[]): Promise<IndexTask[]> {
  const res = await client.query<{
    index_oid: number;
    index_name: string;
    schema: string;
    table_name: string;
    def: string;
    con_oid: number | null;
    con_name: string | null;
    con_type: 'p' | 'u' | 'x' | null;
    deferrable: boolean | null;
    deferred: boolean | null;
    simple: boolean;
    clustered: boolean;
    replident: boolean;
  }>(
    `SELECT i.indexrelid::int AS index_oid, ic.relname AS index_name, n.nspname AS schema, t.relname AS table_name,
            pg_get_indexdef(i.indexrelid) AS def, con.oid::int AS con_oid, con.conname AS con_name,
            con.contype AS con_type, con.condeferrable AS deferrable, con.condeferred AS deferred,
            (am.amname = 'btree' AND i.indexprs IS NULL AND i.indpred IS NULL) AS simple,
            i.indisclustered AS clustered, i.indisreplident AS replident
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = ic.relam
     LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                  AND con.contype IN ('p', 'u', 'x')
     WHERE t.oid = ANY($1::oid[]) AND t.relkind = 'r' AND NOT t.relispartition AND NOT ic.relispartition
       AND i.indisvalid
     ORDER BY n.nspname, t.relname, ic.relname`,
    [tableOids],
  );
  const tasks: IndexTask[] = [];
  for (const r of res.rows) {
    if (r.con_type === 'x') continue;
    if (r.con_oid !== null && !r.simple) continue;
    const task: IndexTask = {
      table: { schema: r.schema, name: r.table_name },
      indexDef: r.def,
      indexOid: r.index_oid,
      indexName: r.index_name,
      clustered: r.clustered,
      replicaIdentity: r.replident,
    };
    if (r.con_oid !== null && r.con_name && (r.con_type === 'p' || r.con_type === 'u')) {
      task.constraint = {
        oid: r.con_oid,
        name: r.con_name,
        type: r.con_type,
        deferrable: r.deferrable === true,
        deferred: r.deferred === true,
      };
    }
    tasks.push(task);
  }
  return tasks;
}

export interface SequenceValue {
  schema: string;
  name: string;
  lastValue: string;
  isCalled: boolean;
}

/** Every user sequence's position in the snapshot (pg_dump carries these in its data section, which we skip). */
export async function readSequences(client: pg.Client): Promise<SequenceValue[]> {
  const seqs = await client.query<{ schema: string; name: string }>(`
    SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'S' AND ${USER_SCHEMAS} AND ${NOT_EXTENSION('c')} ORDER BY 1, 2`);
  const out: SequenceValue[] = [];
  for (const s of seqs.rows) {
    const rel = `"${s.schema.replace(/"/g, '""')}"."${s.name.replace(/"/g, '""')}"`;
    const v = await client.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text AS last_value, is_called FROM ${rel}`,
    );
    out.push({ ...s, lastValue: v.rows[0]!.last_value, isCalled: v.rows[0]!.is_called });
  }
  return out;
}

/** Populated materialized views, oldest first (a view built on another is created after it). */
export async function listMatviews(client: pg.Client): Promise<{ schema: string; name: string }[]> {
  const r = await client.query<{ schema: string; name: string }>(`
    SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'm' AND c.relispopulated AND ${USER_SCHEMAS} AND ${NOT_EXTENSION('c')} ORDER BY c.oid`);
  return r.rows;
}
