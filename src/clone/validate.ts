// Validation: per-table row counts on both sides and, with --verify hash, an order-independent content
// hash (the sum of a 64-bit hash of each row's text, as pgcopydb's `compare data`) over the columns
// that were not masked. Every difference is listed, not just the first.
import type pg from 'pg';
import { qualified, quoteIdent } from '../db/connect.js';
import type { CopyTable } from './copy-plan.js';

export type VerifyMode = 'count' | 'hash';

export interface TableCheck {
  table: string;
  sourceRows: number;
  targetRows: number | null;
  sourceHash?: string;
  targetHash?: string | null;
  /** Columns left out of the hash because they were masked. */
  maskedColumns: string[];
  ok: boolean;
  problem?: string;
}

/**
 * The hash query over the copied, unmasked columns. Generated columns are left out: the target
 * recomputes them, from masked inputs when a mask applies.
 */
export function hashSql(t: CopyTable, masked: Set<string>): string {
  const cols = t.columns
    .filter((c) => !masked.has(c.name) && !c.generated)
    .map((c) => `r.${quoteIdent(c.name)}`);
  const row = cols.length ? `ROW(${cols.join(', ')})::text` : "''";
  return `SELECT count(*)::text AS n, coalesce(sum(hashtextextended(${row}, 0)::numeric), 0)::text AS h
          FROM ONLY ${qualified(t.schema, t.name)} AS r`;
}

export async function measure(
  c: pg.Client,
  t: CopyTable,
  masked: Set<string>,
  mode: VerifyMode,
): Promise<{ rows: number; hash?: string }> {
  if (mode === 'count') {
    const r = await c.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ONLY ${qualified(t.schema, t.name)}`,
    );
    return { rows: Number(r.rows[0]!.n) };
  }
  const r = await c.query<{ n: string; h: string }>(hashSql(t, masked));
  return { rows: Number(r.rows[0]!.n), hash: r.rows[0]!.h };
}

export function judge(
  table: string,
  source: { rows: number; hash?: string | undefined },
  target: { rows: number; hash?: string | undefined } | null,
  maskedColumns: string[],
): TableCheck {
  const check: TableCheck = {
    table,
    sourceRows: source.rows,
    targetRows: target?.rows ?? null,
    maskedColumns,
    ok: true,
  };
  if (source.hash !== undefined) {
    check.sourceHash = source.hash;
    check.targetHash = target?.hash ?? null;
  }
  if (!target) return { ...check, ok: false, problem: 'missing on the target' };
  if (target.rows !== source.rows)
    return {
      ...check,
      ok: false,
      problem: `${source.rows} rows on the source, ${target.rows} on the target`,
    };
  if (source.hash !== undefined && target.hash !== source.hash)
    return { ...check, ok: false, problem: `same row count (${source.rows}), different content` };
  return check;
}
