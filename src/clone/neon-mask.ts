// Masking in place, for a copy that already holds the source's rows (a Neon branch): every masked column
// of a table rewritten by one UPDATE per batch of primary keys (keyset order, one transaction each), then
// validated against the source row by row: a masked value equal to the source's value for the same key is
// an unmasked value left behind. Rules and their SQL are those of a clone (./mask.ts).
import type pg from 'pg';
import { quoteIdent, withClient } from '../db/connect.js';
import { UsageError } from '../errors.js';
import { throwIfAborted } from '../interrupt.js';
import type { ColumnMask, MaskingPlan } from './config.js';
import { type MaskColumn, maskExpression } from './mask.js';

export interface InPlaceTable {
  table: string;
  columns: string[];
  rows: number;
}

export interface UnmaskedLeft {
  table: string;
  column: string;
  rows: number;
}

interface TablePlan {
  schema: string;
  table: string;
  key: string[];
  masks: { col: MaskColumn; mask: ColumnMask }[];
}

async function tableColumns(c: pg.Client, schema: string, table: string) {
  const r = await c.query<{ name: string; type: string; notnull: boolean; uniq: boolean; pk: number | null }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique
                    AND i.indnatts = 1 AND i.indkey[0] = a.attnum) AS uniq,
            (SELECT array_position(i.indkey::int2[], a.attnum) FROM pg_index i
              WHERE i.indrelid = a.attrelid AND i.indisprimary) AS pk
       FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1 AND t.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, table],
  );
  return r.rows;
}

/** Groups the masks per table, with each table's primary key (required to batch and to validate). */
async function planTables(c: pg.Client, plan: MaskingPlan): Promise<TablePlan[]> {
  const byTable = new Map<string, ColumnMask[]>();
  for (const m of plan.columns)
    byTable.set(`${m.schema}.${m.table}`, [...(byTable.get(`${m.schema}.${m.table}`) ?? []), m]);
  const out: TablePlan[] = [];
  for (const [where, masks] of byTable) {
    const [schema, table] = [masks[0]!.schema, masks[0]!.table];
    const cols = await tableColumns(c, schema, table);
    if (!cols.length) throw new UsageError(`masking rule ${where}: no table ${where} on the branch`);
    const key = cols
      .filter((x) => x.pk !== null)
      .sort((a, b) => a.pk! - b.pk!)
      .map((x) => x.name);
    if (!key.length)
      throw new UsageError(
        `masking ${where} in place needs a primary key on ${where}`,
        'add one, or clone without --via neon (a clone masks on the way, keys or not)',
      );
    out.push({
      schema,
      table,
      key,
      masks: masks.map((mask) => {
        const col = cols.find((x) => x.name === mask.column);
        if (!col)
          throw new UsageError(
            `masking rule ${where}.${mask.column}: table ${where} has no column ${mask.column}`,
          );
        return {
          mask,
          col: {
            ident: quoteIdent(col.name),
            name: col.name,
            type: col.type,
            notNull: col.notnull,
            unique: col.uniq,
          },
        };
      }),
    });
  }
  return out;
}

const rel = (t: TablePlan) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
const keyList = (t: TablePlan) => t.key.map(quoteIdent).join(', ');
const keyParams = (t: TablePlan, from: number) => t.key.map((_, i) => `$${from + i}`).join(', ');

async function maskTable(
  c: pg.Client,
  t: TablePlan,
  salt: string,
  batch: number,
  signal?: AbortSignal,
): Promise<number> {
  const sets = t.masks
    .map(
      (m) =>
        `${m.col.ident} = ${maskExpression(m.col, m.mask.rule, salt, `${t.schema}.${t.table}.${m.col.name}`)}`,
    )
    .join(', ');
  const k = keyList(t);
  let last: unknown[] | null = null;
  let rows = 0;
  for (;;) {
    throwIfAborted(signal, 'masking');
    const after = last ? `WHERE (${k}) > (${keyParams(t, 2)})` : '';
    // One statement, one transaction: the batch's keys, their UPDATE, and the batch's greatest key.
    const r: pg.QueryResult<Record<string, unknown>> = await c.query(
      `WITH b AS (SELECT ${k} FROM ${rel(t)} ${after} ORDER BY ${k} LIMIT $1),
            u AS (UPDATE ${rel(t)} SET ${sets} WHERE (${k}) IN (SELECT ${k} FROM b) RETURNING 1)
       SELECT (SELECT count(*) FROM u)::int AS pgward_n, l.* FROM (SELECT ${k} FROM b ORDER BY ${k} DESC LIMIT 1) l`,
      [batch, ...(last ?? [])],
    );
    const row = r.rows[0];
    if (!row) return rows;
    rows += Number(row.pgward_n);
    last = t.key.map((x) => row[x]);
    if (Number(row.pgward_n) < batch) return rows;
  }
}

/** Rewrites every masked column in place, batch by batch; returns what was masked. */
export async function maskInPlace(
  url: string,
  plan: MaskingPlan,
  o: { batchRows?: number; signal?: AbortSignal; onTable?: (t: InPlaceTable) => void } = {},
): Promise<InPlaceTable[]> {
  return withClient(url, async (c) => {
    // An interrupt cancels the batch in flight (its transaction rolls back), not only the next one.
    const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const cancel = () => {
      withClient(url, (k) => k.query('SELECT pg_cancel_backend($1)', [pid])).catch(() => undefined);
    };
    o.signal?.addEventListener('abort', cancel, { once: true });
    try {
      const out: InPlaceTable[] = [];
      for (const t of await planTables(c, plan)) {
        const rows = await maskTable(c, t, plan.salt, o.batchRows ?? 10_000, o.signal);
        const done = { table: `${t.schema}.${t.table}`, columns: t.masks.map((m) => m.col.name), rows };
        o.onTable?.(done);
        out.push(done);
      }
      return out;
    } finally {
      o.signal?.removeEventListener('abort', cancel);
    }
  });
}

/** Digests of (key, column) in key order, as text: compared across two databases. */
async function digests(c: pg.Client, t: TablePlan, col: string): Promise<Map<string, string>> {
  const k = keyList(t);
  const r = await c.query<{ k: string; d: string | null }>(
    `SELECT row(${k})::text AS k, md5(${quoteIdent(col)}::text) AS d FROM ${rel(t)}`,
  );
  return new Map(r.rows.filter((x) => x.d !== null).map((x) => [x.k, x.d as string]));
}

/**
 * Rows whose masked value is still the source's value for the same key (NULLs and a `fixed` value the
 * source already held are not leaks). Empty: no unmasked value remains.
 */
export async function unmaskedLeft(
  maskedUrl: string,
  sourceUrl: string,
  plan: MaskingPlan,
): Promise<UnmaskedLeft[]> {
  return withClient(maskedUrl, (m) =>
    withClient(sourceUrl, async (s) => {
      const out: UnmaskedLeft[] = [];
      for (const t of await planTables(m, plan)) {
        for (const { col, mask } of t.masks) {
          const [mine, theirs] = await Promise.all([digests(m, t, col.name), digests(s, t, col.name)]);
          const fixed = mask.rule.kind === 'fixed' ? mask.rule.value : null;
          let rows = 0;
          for (const [key, d] of mine) if (theirs.get(key) === d) rows++;
          if (fixed !== null && rows) {
            const r = await m.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM ${rel(t)} WHERE ${col.ident}::text = $1`,
              [fixed],
            );
            rows -= r.rows[0]?.n ?? 0;
          }
          if (rows > 0) out.push({ table: `${t.schema}.${t.table}`, column: col.name, rows });
        }
      }
      return out;
    }),
  );
}
