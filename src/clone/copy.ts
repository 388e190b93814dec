// One table's rows from source to target: COPY (SELECT ...) TO STDOUT on the source, streamed into
// COPY ... FROM STDIN on the target, nothing written to disk. The target truncates the table in the
// same transaction so COPY can FREEZE the rows (no later vacuum pass to set hint bits).
import { Transform } from 'node:stream';
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

export async function copyTable(
  src: pg.Client,
  dst: pg.Client,
  t: CopyTable,
  masks: Map<string, string>,
  onBytes: (bytes: number) => void,
  /** Source and target run the same major version: binary COPY is allowed for built-in types. */
  sameMajor = false,
): Promise<CopyResult> {
  const rel = qualified(t.schema, t.name);
  const { select, columns } = selectList(t, masks);
  if (!columns) return { rows: 0, bytes: 0 };
  await dst.query(`BEGIN; TRUNCATE ONLY ${rel}`);
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
    const out = src.query(
      copyTo(
        plain
          ? `COPY ${rel} (${columns}) TO STDOUT${fmt}`
          : `COPY (SELECT ${select} FROM ONLY ${rel}) TO STDOUT`,
      ),
    );
    const into = dst.query(
      copyFrom(`COPY ${rel} (${columns}) FROM STDIN WITH (FREEZE true${binary ? ', FORMAT binary' : ''})`),
    );
    let bytes = 0;
    // pg-copy-streams yields one chunk per socket read (tens of KiB at most); regrouping them into
    // ~256 KiB writes cuts the per-chunk cost in Node and the number of CopyData messages to the target.
    let batch: Buffer[] = [];
    let batched = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        batch.push(chunk);
        batched += chunk.length;
        if (batched < 262_144) return cb();
        bytes += batched;
        onBytes(batched);
        const out = Buffer.concat(batch, batched);
        batch = [];
        batched = 0;
        cb(null, out);
      },
      flush(cb) {
        bytes += batched;
        if (batched) onBytes(batched);
        cb(null, batched ? Buffer.concat(batch, batched) : undefined);
      },
    });
    await pipeline(out, meter, into);
    await dst.query('COMMIT');
    return { rows: out.rowCount, bytes };
  } catch (err) {
    await dst.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
