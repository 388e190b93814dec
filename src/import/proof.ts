// The proof after an import: the source is read once more and, batch by batch, compared with the rows
// the target holds for the same keys: per kind a count and a content hash (canonical JSON, sha256) on
// each side. A live source that changed since the write shows up here as a mismatch, as it should.
import type { ValidateFunction } from 'ajv';
import type pg from 'pg';
import { throwIfAborted } from '../interrupt.js';
import { ContentHash } from './canonical.js';
import { readRows } from './target.js';
import type { ImportMapping, ImportSource, ProofEntry } from './types.js';
import { recordProblem } from './validate.js';

/** Per-kind entries are listed when there are at most this many kinds (mismatches always, up to it). */
export const MAX_LISTED_KINDS = 100;

export async function proveImport(
  client: pg.Client,
  source: ImportSource,
  mapping: ImportMapping,
  schemas: Map<string, ValidateFunction>,
  batchSize: number,
  signal: AbortSignal | undefined,
  onProgress: (records: number) => void,
): Promise<{ total: ProofEntry; mismatches: ProofEntry[]; kinds: ProofEntry[]; match: boolean }> {
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
