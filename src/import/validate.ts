// Validation before anything is written: every record is read once, checked (readable, a JSON Schema
// per kind when one is configured, no two sources mapping to one key), counted and hashed. Problems are
// listed (capped) and counted; with a reject file, each invalid record is written there as one NDJSON
// line with its reason.
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { UsageError } from '../errors.js';
import { throwIfAborted } from '../interrupt.js';
import { ContentHash } from './canonical.js';
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
  /** Over the valid records, one per key: what the target must hold afterwards. */
  hash: ContentHash;
  /** The valid keys (key → origin, '' for a Redis key itself). */
  keys: Map<string, string>;
}

export async function validateSource(
  source: ImportSource,
  opts: {
    schemas: Map<string, ValidateFunction>;
    batchSize: number;
    rejectFile?: string;
    signal?: AbortSignal;
    onProblem?: (p: ImportProblem) => void;
  },
): Promise<ValidationResult> {
  // key → where it came from ('' when that is the Redis key itself: half the memory for a big keyspace)
  const seen = new Map<string, string>();
  const short = (rec: SourceRecord) => (rec.origin === `redis key ${rec.kind}` ? '' : rec.origin);
  const res: Omit<ValidationResult, 'keys'> = {
    records: 0,
    invalid: 0,
    problems: [],
    moreProblems: 0,
    kinds: 0,
    collisions: 0,
    hash: new ContentHash(),
  };
  let rejects: WriteStream | undefined;
  const problem = (rec: SourceRecord, reason: string) => {
    const p = { kind: rec.kind, origin: rec.origin, reason };
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
          problem(rec, reason);
          rejects?.write(
            `${JSON.stringify({ key: rec.kind, origin: rec.origin, reason, data: rec.data ?? null })}\n`,
          );
          continue;
        }
        const prev = seen.get(rec.kind);
        if (prev === undefined) {
          seen.set(rec.kind, short(rec));
          res.hash.add(rec.kind, rec.data);
        } else if (prev !== short(rec)) {
          // never skippable: which of the two would win is arbitrary
          res.collisions++;
          problem(rec, `key collision: ${rec.kind} also comes from ${prev || `redis key ${rec.kind}`}`);
        }
      }
    }
  } finally {
    if (rejects) await new Promise((r) => rejects!.end(r));
  }
  res.kinds = seen.size;
  return { ...res, keys: seen };
}
