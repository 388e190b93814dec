// The proof after an import: what the validation pass read (its hash, and the spilled records) compared
// with what the target holds for the same keys: per kind a count and a content hash (canonical JSON,
// sha256) on each side. The source is not read again: the proof says the table holds what was read.
import type { ValidateFunction } from 'ajv';
import type pg from 'pg';
import { throwIfAborted } from '../interrupt.js';
import { ContentHash } from './canonical.js';
import type { KeyHashSet } from './keyset.js';
import { readRows, scanRows } from './target.js';
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
 * The quick proof: the target table read in one scan (a cursor), the rows whose keys the import holds
 * (by key hash) counted and hashed, against the count and hash the validation pass computed from the
 * source. When it does not match, the detailed proof (proveImport) names the keys that differ.
 */
export async function proveByScan(
  client: pg.Client,
  mapping: ImportMapping,
  keys: KeyHashSet,
  source: ContentHash,
  chunk: number,
  signal: AbortSignal | undefined,
  onProgress: (records: number) => void,
): Promise<ProofEntry> {
  const dst = new ContentHash();
  for await (const rows of scanRows(client, mapping, chunk)) {
    throwIfAborted(signal, 'import proof');
    for (const row of rows) if (keys.has(row.k)) dst.add(row.k, JSON.parse(row.d));
    onProgress(dst.count);
  }
  const match = source.count === dst.count && source.digest() === dst.digest();
  return {
    kind: '(all)',
    sourceCount: source.count,
    targetCount: dst.count,
    sourceHash: source.digest(),
    targetHash: dst.digest(),
    match,
  };
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
