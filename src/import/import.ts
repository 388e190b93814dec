// `pgward import`: validate everything, then write in batches (each with its checkpoint, so a killed run
// resumes after the last committed batch), then prove the target holds what the source holds (counts and
// content hashes per kind). A dry run stops after validation and writes nothing, not even a checkpoint.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { connect } from '../db/connect.js';
import { ExitCode, PgwardError } from '../errors.js';
import { throwIfAborted } from '../interrupt.js';
import { advance, ensureCheckpointTable, finishRun, startRun } from './checkpoint.js';
import { MAX_LISTED_KINDS, proveByKeys, proveImport } from './proof.js';
import { checkTarget, writeBatch } from './target.js';
import type { ImportMapping, ImportProblem, ImportReport, ImportSource, ProofEntry } from './types.js';
import { DEFAULT_MAPPING } from './types.js';
import { loadSchemas, recordProblem, validateSource } from './validate.js';

export interface ImportProgress {
  phase: 'validate' | 'write' | 'verify';
  records: number;
  total?: number;
}

export interface ImportOptions {
  source: ImportSource;
  /** The target database. */
  url: string;
  mapping?: Partial<ImportMapping>;
  /** kind → JSON Schema file. */
  schemas?: Record<string, string>;
  dryRun?: boolean;
  /** Import the valid records, write the invalid ones to `rejectFile`. */
  skipInvalid?: boolean;
  rejectFile?: string;
  /** Records per transaction (default 5000). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  onProblem?: (p: ImportProblem) => void;
  /** Pause after each committed batch (tests use it to interrupt a run in the middle). */
  pauseMs?: number;
}

export type ImportStatus = 'imported' | 'dry-run' | 'invalid' | 'mismatch';

export interface ImportResult extends ImportReport {
  status: ImportStatus;
  /** Set when the target table is not ready (a dry run reports it instead of failing). */
  targetProblem: string | null;
}

/**
 * Imports JSON records into PostgreSQL, validated first and proven after.
 *
 * @example
 * ```ts
 * import { importData, JsonFilesSource } from 'pgward';
 * const r = await importData({ source: new JsonFilesSource({ paths: ['config'] }), url: process.env.DATABASE_URL! });
 * console.log(r.status, r.written, r.proof?.match);
 * ```
 */
export async function importData(opts: ImportOptions): Promise<ImportResult> {
  const started = Date.now();
  const mapping: ImportMapping = { ...DEFAULT_MAPPING, ...opts.mapping };
  const batchSize = opts.batchSize ?? 5000;
  const schemas = loadSchemas(opts.schemas ?? {});
  const client = await connect(opts.url);
  try {
    const report = emptyReport(opts, mapping);
    let types: Record<string, string> | undefined;
    try {
      types = await checkTarget(client, mapping);
    } catch (err) {
      if (!opts.dryRun) throw err;
      report.targetProblem = (err as Error).message;
    }
    const v = await validateSource(opts.source, {
      schemas,
      batchSize,
      ...(opts.skipInvalid && opts.rejectFile ? { rejectFile: opts.rejectFile } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProblem: (p) => opts.onProblem?.(p),
    });
    Object.assign(report, {
      records: v.records,
      kinds: v.kinds,
      invalid: v.invalid + v.collisions,
      problems: v.problems,
      moreProblems: v.moreProblems,
    });
    opts.onProgress?.({ phase: 'validate', records: v.records, total: v.records });
    const blocked = v.collisions > 0 || (v.invalid > 0 && !opts.skipInvalid);
    if (opts.dryRun || blocked) return finish(report, blocked ? 'invalid' : 'dry-run', started);
    await writeAll(client, opts, mapping, types!, schemas, report, v.records - v.invalid);
    const progress = (n: number) => opts.onProgress?.({ phase: 'verify', records: n, total: v.kinds });
    let quick: ProofEntry | undefined;
    if (v.kinds > MAX_LISTED_KINDS)
      quick = await proveByKeys(client, mapping, v.keys.keys(), v.hash, batchSize, opts.signal, progress);
    report.proof = quick?.match
      ? { total: quick, mismatches: [], kinds: [], match: true }
      : await proveImport(client, opts.source, mapping, schemas, batchSize, opts.signal, progress);
    return finish(report, report.proof.match ? 'imported' : 'mismatch', started);
  } finally {
    await client.end().catch(() => {});
  }
}

function emptyReport(opts: ImportOptions, m: ImportMapping): ImportResult {
  return {
    status: 'imported',
    source: opts.source.description,
    target: `${m.table} (${m.keyColumn} → ${m.dataColumn})`,
    targetProblem: null,
    dryRun: opts.dryRun === true,
    records: 0,
    kinds: 0,
    invalid: 0,
    problems: [],
    moreProblems: 0,
    rejectFile: opts.skipInvalid && opts.rejectFile ? opts.rejectFile : null,
    written: { inserted: 0, updated: 0, unchanged: 0, batches: 0 },
    resumedAfter: 0,
    proof: null,
    durationMs: 0,
  };
}

function finish(r: ImportResult, status: ImportStatus, started: number): ImportResult {
  r.status = status;
  r.durationMs = Date.now() - started;
  return r;
}

async function writeAll(
  client: pg.Client,
  opts: ImportOptions,
  mapping: ImportMapping,
  types: Record<string, string>,
  schemas: ReturnType<typeof loadSchemas>,
  report: ImportResult,
  total: number,
): Promise<void> {
  await ensureCheckpointTable(client);
  const key = createHash('sha256')
    .update(`${opts.source.description}\u0000${mapping.table}\u0000${mapping.keyColumn}`)
    .digest('hex');
  // one run per source and target at a time: two would interleave their checkpoints (released with the session)
  const lock = await client.query<{ ok: boolean }>(
    "SELECT pg_try_advisory_lock(hashtext('pgward import ' || $1)) AS ok",
    [key],
  );
  if (!lock.rows[0]?.ok)
    throw new PgwardError(
      `another pgward import of ${opts.source.description} into ${mapping.table} is running`,
      {
        exitCode: ExitCode.lockBusy,
        hint: 'wait for it to finish (or stop it: the next run resumes after its last batch)',
      },
    );
  const cp = await startRun(client, {
    key,
    source: opts.source.description,
    target: report.target,
    fingerprint: await opts.source.fingerprint(),
  });
  report.resumedAfter = cp.records;
  let done = cp.records;
  for await (const batch of opts.source.batches(opts.batchSize ?? 5000, cp.position ?? undefined)) {
    throwIfAborted(opts.signal, 'import');
    const valid = batch.records.filter((r) => recordProblem(r, schemas) === undefined);
    await client.query('BEGIN');
    try {
      const r =
        valid.length > 0
          ? await writeBatch(client, mapping, types, valid)
          : { inserted: 0, updated: 0, unchanged: 0 };
      await advance(client, key, batch.position, valid.length);
      await client.query('COMMIT');
      report.written.inserted += r.inserted;
      report.written.updated += r.updated;
      report.written.unchanged += r.unchanged;
      report.written.batches++;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
    done += valid.length;
    opts.onProgress?.({ phase: 'write', records: done, total });
    if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  await finishRun(client, key);
}
