// One table's rows from source to target: COPY (SELECT ...) TO STDOUT on the source, streamed into
// COPY ... FROM STDIN on the target, nothing written to disk. The target truncates the table in the
// same transaction so COPY can FREEZE the rows (no later vacuum pass to set hint bits).
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { qualified, quoteIdent } from '../db/connect.js';
import type { CopyTable } from './copy-plan.js';

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
      copyTo(
        plain && !where
          ? `COPY ${rel} (${columns}) TO STDOUT${fmt}`
          : `COPY (SELECT ${plain ? columns : select} FROM ONLY ${rel}${where ? ` WHERE ${where}` : ''}) TO STDOUT${fmt}`,
      ),
    );
    const opts = [...(range ? [] : ['FREEZE true']), ...(binary ? ['FORMAT binary'] : [])];
    const into = dst.query(
      copyFrom(`COPY ${rel} (${columns}) FROM STDIN${opts.length ? ` WITH (${opts.join(', ')})` : ''}`),
    );
    const meter = new CopyMeter(onBytes);
    await pipeline(out, meter, into);
    if (!range) await dst.query('COMMIT');
    return { rows: out.rowCount, bytes: meter.bytes };
  } catch (err) {
    if (!range) await dst.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * Counts the rows' bytes and regroups pg-copy-streams' chunks (one per socket read, tens of KiB) into
 * ~256 KiB writes: fewer chunks in Node, fewer CopyData messages to the target. (A relay forwarding the
 * source's framed messages untouched was tried for CPU and withdrawn: it stalled when a connection was
 * cut or a run interrupted mid-copy.)
 */
class CopyMeter extends Transform {
  bytes = 0;
  private batch: Buffer[] = [];
  private batched = 0;

  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.batch.push(chunk);
    this.batched += chunk.length;
    if (this.batched < 262_144) cb();
    else cb(null, this.takeBatch());
  }

  override _flush(cb: TransformCallback): void {
    cb(null, this.batched ? this.takeBatch() : undefined);
  }

  private takeBatch(): Buffer {
    const out = Buffer.concat(this.batch, this.batched);
    this.bytes += this.batched;
    this.onBytes(this.batched);
    this.batch = [];
    this.batched = 0;
    return out;
  }
}
