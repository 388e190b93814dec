// One table's rows from source to target: COPY (SELECT ...) TO STDOUT on the source, streamed into
// COPY ... FROM STDIN on the target, nothing written to disk. The target truncates the table in the
// same transaction so COPY can FREEZE the rows (no later vacuum pass to set hint bits).
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { qualified, quoteIdent } from '../db/connect.js';
import type { CopyTable } from './copy-plan.js';
import { FramedCopyFrom, FramedCopyTo, RELAY_HIGH_WATER_MARK } from './relay.js';

export interface CopyResult {
  rows: number;
  bytes: number;
}

/** The SELECT list: masked expressions in place of the masked columns; generated columns left out. */
export function selectList(t: CopyTable, masks: Map<string, string>): { select: string; columns: string } {
  const cols = t.columns.filter((c) => !c.generated);
  return {
    select: cols
      .map((c) => (masks.has(c.name) ? `${masks.get(c.name)} AS ${quoteIdent(c.name)}` : quoteIdent(c.name)))
      .join(', '),
    columns: cols.map((c) => quoteIdent(c.name)).join(', '),
  };
}

/** A part of a table split by physical position: pages [fromPage, toPage) (toPage undefined: to the end). */
export interface PageRange {
  fromPage: number;
  toPage?: number;
}

/** The WHERE clause of a range: a TID range scan (PostgreSQL 14+) reads only those pages. */
export function rangeWhere(r: PageRange): string {
  const lo = r.fromPage > 0 ? `ctid >= '(${Math.trunc(r.fromPage)},0)'::tid` : '';
  const hi = r.toPage !== undefined ? `ctid < '(${Math.trunc(r.toPage)},0)'::tid` : '';
  return [lo, hi].filter(Boolean).join(' AND ');
}

/**
 * One table's rows, or one page range of them (a split table: several of these run at once in the
 * same snapshot). A whole table is truncated in the COPY's transaction so the rows can be FROZEN; the
 * parts of a split table cannot (TRUNCATE would lock the other parts out) and load into it as they are.
 */
export async function copyTable(
  src: pg.Client,
  dst: pg.Client,
  t: CopyTable,
  masks: Map<string, string>,
  onBytes: (bytes: number) => void,
  /** Source and target run the same major version: binary COPY is allowed for built-in types. */
  sameMajor = false,
  range?: PageRange,
): Promise<CopyResult> {
  const rel = qualified(t.schema, t.name);
  const { select, columns } = selectList(t, masks);
  if (!columns) return { rows: 0, bytes: 0 };
  if (!range) await dst.query(`BEGIN; TRUNCATE ONLY ${rel}`);
  try {
    // Unmasked: COPY of the table itself, which reads the heap without the executor (cheaper on the
    // source than a query); COPY TO never includes child tables, so it reads what FROM ONLY reads.
    const plain = !t.columns.some((c) => masks.has(c.name));
    // Binary COPY skips the text output and input functions (timestamps, numerics, integers) on both
    // servers, which are CPU-bound on a busy host. Only for unmasked tables of built-in types between
    // servers of one major version: a masking expression's type may differ from its column's, and a
    // user-defined type's oid (inside arrays and records) differs between the two databases.
    const binary = sameMajor && plain && t.columns.every((c) => c.generated || c.builtin === true);
    const fmt = binary ? ' WITH (FORMAT binary)' : '';
    const where = range ? rangeWhere(range) : '';
    const out = src.query(
      new FramedCopyTo(
        plain && !where
          ? `COPY ${rel} (${columns}) TO STDOUT${fmt}`
          : `COPY (SELECT ${plain ? columns : select} FROM ONLY ${rel}${where ? ` WHERE ${where}` : ''}) TO STDOUT${fmt}`,
        { highWaterMark: RELAY_HIGH_WATER_MARK },
      ),
    );
    const opts = [...(range ? [] : ['FREEZE true']), ...(binary ? ['FORMAT binary'] : [])];
    const into = dst.query(
      new FramedCopyFrom(
        `COPY ${rel} (${columns}) FROM STDIN${opts.length ? ` WITH (${opts.join(', ')})` : ''}`,
        { highWaterMark: RELAY_HIGH_WATER_MARK },
      ),
    );
    // Progress in steps of at least 1 MiB: the relay moves whole socket reads and counts nothing per row.
    let reported = 0;
    out.on('data', () => {
      if (out.payloadBytes - reported < 1 << 20) return;
      onBytes(out.payloadBytes - reported);
      reported = out.payloadBytes;
    });
    await pipeline(out, into);
    if (out.payloadBytes > reported) onBytes(out.payloadBytes - reported);
    if (!range) await dst.query('COMMIT');
    return { rows: out.rowCount, bytes: out.payloadBytes };
  } catch (err) {
    if (!range) await dst.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
