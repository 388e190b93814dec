// Validation before anything is written: every record is read once, checked (readable, a JSON Schema
// per kind when one is configured, no two sources mapping to one key), counted and spilled to a
// local file the writer and the proof read afterwards (spill.ts). Problems are listed (capped) and
// counted; with a reject file, each invalid record is written there as one NDJSON line with its reason.
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { UsageError } from '../errors.js';
import { throwIfAborted } from '../interrupt.js';
import { KeyHashSet } from './keyset.js';
import type { Spill } from './spill.js';
import type { ImportProblem, ImportSource, SourceRecord } from './types.js';

export const MAX_LISTED_PROBLEMS = 1000;

/** kind → compiled JSON Schema validator, from kind → schema file paths. */
export function loadSchemas(files: Record<string, string>): Map<string, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const out = new Map<string, ValidateFunction>();
  for (const [kind, path] of Object.entries(files)) {
    let schema: unknown;
    try {
      schema = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new UsageError(
        `import schema for ${kind} (${path}): ${(err as Error).message}`,
        'point import.schemas at a readable JSON Schema file',
      );
    }
    try {
      out.set(kind, ajv.compile(schema as object));
    } catch (err) {
      throw new UsageError(
        `import schema for ${kind} (${path}) is not a valid JSON Schema: ${(err as Error).message}`,
      );
    }
  }
  return out;
}

/** Why a record cannot be imported, or undefined. */
export function recordProblem(rec: SourceRecord, schemas: Map<string, ValidateFunction>): string | undefined {
  if (rec.error) return rec.error;
  if (rec.data === undefined) return 'no value';
  const validate = schemas.get(rec.kind);
  if (validate && !validate(rec.data)) {
    const errs = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    return `does not match the schema for ${rec.kind}: ${errs.join('; ')}`;
  }
  return undefined;
}

export interface ValidationResult {
  records: number;
  invalid: number;
  problems: ImportProblem[];
  moreProblems: number;
  kinds: number;
  /** Keys that more than one source maps to (refused: the last one would silently win). */
  collisions: number;
  /** The valid keys, as hashes. */
  keys: KeyHashSet;
}

export interface ValidateOptions {
  schemas: Map<string, ValidateFunction>;
  batchSize: number;
  rejectFile?: string;
  /** Where each valid record is written (once per key), for the writer and the proof. */
  spill?: Spill;
  signal?: AbortSignal;
  onProblem?: (p: ImportProblem) => void;
  onProgress?: (records: number) => void;
}

/**
 * The one read of the source: every record checked, counted and (valid, first of its key)
 * spilled. Key collisions are found by key hash; their first origins are looked up afterwards by a
 * second read, which happens only when there are collisions (the import is refused then anyway).
 */
export async function validateSource(source: ImportSource, opts: ValidateOptions): Promise<ValidationResult> {
  const keys = new KeyHashSet();
  const res: ValidationResult = {
    records: 0,
    invalid: 0,
    problems: [],
    moreProblems: 0,
    kinds: 0,
    collisions: 0,
    keys,
  };
  const collided: SourceRecord[] = [];
  let rejects: WriteStream | undefined;
  const problem = (p: ImportProblem) => {
    if (res.problems.length < MAX_LISTED_PROBLEMS) res.problems.push(p);
    else res.moreProblems++;
    opts.onProblem?.(p);
  };
  try {
    if (opts.rejectFile) rejects = createWriteStream(opts.rejectFile);
    for await (const batch of source.batches(opts.batchSize)) {
      throwIfAborted(opts.signal, 'import validation');
      for (const rec of batch.records) {
        res.records++;
        const reason = recordProblem(rec, opts.schemas);
        if (reason) {
          res.invalid++;
          problem({ kind: rec.kind, origin: rec.origin, reason });
          rejects?.write(
            `${JSON.stringify({ key: rec.kind, origin: rec.origin, reason, data: rec.data ?? null })}\n`,
          );
          continue;
        }
        const seen = keys.add(rec.kind, rec.origin);
        if (seen === 'new') {
          opts.spill?.add(rec.kind, rec.json ?? JSON.stringify(rec.data));
        } else if (seen === 'other') {
          // never skippable: which of the two would win is arbitrary
          res.collisions++;
          if (collided.length < MAX_LISTED_PROBLEMS) collided.push({ ...rec, data: undefined });
        }
      }
      opts.onProgress?.(res.records);
      await opts.spill?.settle();
    }
  } finally {
    if (rejects) await new Promise((r) => rejects!.end(r));
  }
  res.kinds = keys.size;
  if (collided.length > 0) await nameCollisions(source, opts, collided, problem);
  return res;
}

/** Each collision named with the key's first origin (a second read, for the colliding keys only). */
async function nameCollisions(
  source: ImportSource,
  opts: ValidateOptions,
  collided: SourceRecord[],
  problem: (p: ImportProblem) => void,
): Promise<void> {
  const first = new Map<string, string>(collided.map((r) => [r.kind, '']));
  for await (const batch of source.batches(opts.batchSize))
    for (const rec of batch.records)
      if (first.get(rec.kind) === '' && recordProblem(rec, opts.schemas) === undefined)
        first.set(rec.kind, rec.origin);
  for (const rec of collided)
    problem({
      kind: rec.kind,
      origin: rec.origin,
      reason: `key collision: ${rec.kind} also comes from ${first.get(rec.kind) || 'another record'}`,
    });
}
