// The proof after an import: what was read (the spilled records, and the hash of them as staged) compared
// with what the target holds for the same keys: a count and a content hash on each side, per kind when
// there are few. The source is not read again: the proof says the table holds what the one read saw.
import type { ValidateFunction } from 'ajv';
import type pg from 'pg';
import { quoteIdent } from '../db/connect.js';
import { throwIfAborted } from '../interrupt.js';
import { ContentHash } from './canonical.js';
import type { Spill } from './spill.js';
import { SqlHash, type SqlHashRow, sqlHashQuery } from './sql-hash.js';
import { hashTargetRows, readRows, tableRef } from './target.js';
import type { ImportMapping, ImportSource, ProofEntry } from './types.js';
import { recordProblem } from './validate.js';

/** Per-kind entries are listed when there are at most this many kinds (mismatches always, up to it). */
export const MAX_LISTED_KINDS = 100;

export interface ImportProof {
  total: ProofEntry;
  mismatches: ProofEntry[];
  kinds: ProofEntry[];
  match: boolean;
}

/**
 * The quick proof: the count and content hash of the rows the writer staged (what was read) against those
 * of the target's rows, both computed by PostgreSQL (sql-hash.ts): the whole table first (no key sent
 * back); when that differs (the table holds other rows too), the rows with the keys read, in one
 * statement. When that does not match either, the detailed proof (proveImport) names the keys that differ.
 */
export async function proveBySql(
  client: pg.Client,
  mapping: ImportMapping,
  spill: Spill,
  source: SqlHash,
  chunk: number,
): Promise<ProofEntry> {
  const entry = (dst: SqlHash): ProofEntry => ({
    kind: '(all)',
    sourceCount: source.count,
    targetCount: dst.count,
    sourceHash: source.digest(),
    targetHash: dst.digest(),
    match: source.count === dst.count && source.digest() === dst.digest(),
  });
  const whole = new SqlHash();
  whole.add(await hashWholeTable(client, mapping, source.count));
  if (entry(whole).match) return entry(whole);
  const dst = new SqlHash();
  dst.add(await hashTargetRows(client, mapping, keyRuns(spill, chunk)));
  return entry(dst);
}

/**
 * The count and hash of at most `count + 1` rows of the whole table, in one scan: when the table holds
 * exactly the rows read (an import into its own table) they match the source's and no key is sent back.
 * A table with more rows shows count + 1 (the scan stops there) and the keyed proof runs instead.
 * (Hashing two halves of the table's pages on two connections was measured slower: a TID range scan
 * costs twice a sequential scan per row on PostgreSQL 15.)
 */
async function hashWholeTable(client: pg.Client, m: ImportMapping, count: number): Promise<SqlHashRow> {
  const k = quoteIdent(m.keyColumn);
  const d = quoteIdent(m.dataColumn);
  const from = `(SELECT ${k} AS k, ${d} AS d FROM ${tableRef(m.table)} LIMIT ${count + 1}) AS whole`;
  return (await client.query<SqlHashRow>(sqlHashQuery(from, 'k::text', 'd'))).rows[0]!;
}

async function* keyRuns(spill: Spill, chunk: number): AsyncIterable<string[]> {
  for await (const run of spill.lines([chunk])) yield run.map((l) => l.slice(0, l.indexOf('\t')));
}

/** The detailed proof: the records read (the spill), compared key by key with the target. */
export async function proveImport(
  client: pg.Client,
  source: ImportSource,
  mapping: ImportMapping,
  schemas: Map<string, ValidateFunction>,
  batchSize: number,
  signal: AbortSignal | undefined,
  onProgress: (records: number) => void,
): Promise<ImportProof> {
  const seen = new Set<string>();
  const src = new ContentHash();
  const dst = new ContentHash();
  const kinds: ProofEntry[] = [];
  const mismatches: ProofEntry[] = [];
  let mismatchCount = 0;
  for await (const batch of source.batches(batchSize)) {
    throwIfAborted(signal, 'import proof');
    const fresh = new Map<string, unknown>();
    for (const r of batch.records) {
      if (seen.has(r.kind) || recordProblem(r, schemas) !== undefined) continue;
      fresh.set(r.kind, r.data);
    }
    const stored = await readRows(client, mapping, [...fresh.keys()]);
    for (const [k, data] of fresh) {
      seen.add(k);
      const s = new ContentHash();
      s.add(k, data);
      const t = new ContentHash();
      if (stored.has(k)) t.add(k, stored.get(k));
      src.merge(s);
      dst.merge(t);
      const entry = {
        kind: k,
        sourceCount: 1,
        targetCount: t.count,
        sourceHash: s.digest(),
        targetHash: t.count ? t.digest() : '',
        match: s.digest() === t.digest(),
      };
      if (!entry.match && mismatches.length < MAX_LISTED_KINDS) mismatches.push(entry);
      if (!entry.match) mismatchCount++;
      if (kinds.length <= MAX_LISTED_KINDS) kinds.push(entry);
    }
    onProgress(seen.size);
  }
  const total: ProofEntry = {
    kind: '(all)',
    sourceCount: src.count,
    targetCount: dst.count,
    sourceHash: src.digest(),
    targetHash: dst.digest(),
    match: mismatchCount === 0 && src.digest() === dst.digest() && src.count === dst.count,
  };
  return { total, mismatches, kinds: kinds.length > MAX_LISTED_KINDS ? [] : kinds, match: total.match };
}
