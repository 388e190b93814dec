// `pgward import`: read the source once — validating, hashing and spilling each record to a local file —
// then, only if everything is valid, write the spill in batches (each with its checkpoint, so a killed
// run resumes after the last committed batch), then prove the target holds what was read (counts and
// content hashes per kind). A dry run stops after validation and writes nothing, not even a checkpoint.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { connect } from '../db/connect.js';
import { ExitCode, PgwardError } from '../errors.js';
import { throwIfAborted } from '../interrupt.js';
import { advance, ensureCheckpointTable, finishRun, startRun } from './checkpoint.js';
import { OrderedTransactions } from './ordered.js';
import { MAX_LISTED_KINDS, proveBySql, proveImport } from './proof.js';
import { Spill } from './spill.js';
import { SqlHash } from './sql-hash.js';
import { checkTarget, concurrentWritesSafe, writeBatch } from './target.js';
import type { ImportMapping, ImportProblem, ImportReport, ImportSource, ProofEntry } from './types.js';
import { DEFAULT_MAPPING } from './types.js';
import { loadSchemas, validateSource } from './validate.js';

/** Records per transaction unless configured: large enough that COPY, not round trips, sets the pace. */
export const DEFAULT_BATCH = 20_000;

/** Writing connections: PostgreSQL parses and inserts one batch while the next is sent (measured on 2 cores). */
export const DEFAULT_WRITERS = 2;

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
  /** Records per transaction (default 20000). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  onProblem?: (p: ImportProblem) => void;
  /**
   * Connections writing batches at once (default 2), committed in order. One when the table has
   * triggers or unique indexes besides the key's: two batches could then wait on each other.
   */
  writers?: number;
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
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const schemas = loadSchemas(opts.schemas ?? {});
  const client = await connect(opts.url);
  const spill = opts.dryRun ? undefined : new Spill();
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
      // read in small runs: a run's records are garbage soon after (large runs outlive the young heap)
      batchSize: Math.min(batchSize, 2000),
      ...(spill ? { spill } : {}),
      ...(opts.skipInvalid && opts.rejectFile ? { rejectFile: opts.rejectFile } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProblem: (p) => opts.onProblem?.(p),
      onProgress: (n) => opts.onProgress?.({ phase: 'validate', records: n }),
    });
    spill?.close();
    Object.assign(report, {
      records: v.records,
      kinds: v.kinds,
      invalid: v.invalid + v.collisions,
      problems: v.problems,
      moreProblems: v.moreProblems,
    });
    opts.onProgress?.({ phase: 'validate', records: v.records, total: v.records });
    const blocked = v.collisions > 0 || (v.invalid > 0 && !opts.skipInvalid);
    if (!spill || blocked) return finish(report, blocked ? 'invalid' : 'dry-run', started);
    const staged = await writeAll(client, opts, spill, mapping, types!, report);
    const progress = (n: number) => opts.onProgress?.({ phase: 'verify', records: n, total: v.kinds });
    let quick: ProofEntry | undefined;
    if (v.kinds > MAX_LISTED_KINDS) {
      throwIfAborted(opts.signal, 'import proof');
      quick = await proveBySql(client, mapping, spill, staged, batchSize);
    }
    report.proof = quick?.match
      ? { total: quick, mismatches: [], kinds: [], match: true }
      : await proveImport(
          client,
          spill.source(opts.source.description),
          mapping,
          schemas,
          batchSize,
          opts.signal,
          progress,
        );
    return finish(report, report.proof.match ? 'imported' : 'mismatch', started);
  } finally {
    spill?.remove();
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
  spill: Spill,
  mapping: ImportMapping,
  types: Record<string, string>,
  report: ImportResult,
): Promise<SqlHash> {
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
  const resume = parsePosition(cp.position);
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const writers = [client];
  try {
    const more = (opts.writers ?? DEFAULT_WRITERS) - 1;
    if (more > 0 && (await concurrentWritesSafe(client, mapping)))
      for (let i = 0; i < more; i++) writers.push(await connect(opts.url));
    let staged = await writeFrom(writers, opts, spill, mapping, types, report, key, resume, batchSize);
    // the records read this time differ before the checkpoint (another order, changed values): all again
    staged ??= await writeFrom(writers, opts, spill, mapping, types, report, key, null, batchSize);
    await finishRun(client, key);
    return staged!;
  } finally {
    for (const w of writers.slice(1)) await w.end().catch(() => {});
  }
}

interface Resume {
  records: number;
  /** sha256 (hex, 32 digits) of the spill's lines up to `records`. */
  digest: string;
  /** The content hash of the rows staged up to `records`. */
  staged: SqlHash;
}

/** A checkpoint position: `spill:<records>:<digest>:<staged hash>`. */
function parsePosition(p: string | null): Resume | null {
  const m = /^spill:(\d+):([0-9a-f]+):([0-9a-f.]+)$/.exec(p ?? '');
  const staged = m ? SqlHash.load(m[3]!) : undefined;
  return m && staged ? { records: Number(m[1]), digest: m[2]!, staged } : null;
}

/**
 * The spill written in batches, each with its checkpoint, skipping the first records when they are the
 * ones a previous run committed (same lines, by digest); undefined when they are not. Batches are written
 * on `writers` connections at once and committed in order (ordered.ts).
 */
async function writeFrom(
  writers: pg.Client[],
  opts: ImportOptions,
  spill: Spill,
  mapping: ImportMapping,
  types: Record<string, string>,
  report: ImportResult,
  key: string,
  resume: Resume | null,
  batchSize: number,
): Promise<SqlHash | undefined> {
  const digest = createHash('sha256');
  let staged = new SqlHash();
  let done = 0;
  // plain inserts while no batch has met an existing key (a first import); upserts from the first that has
  let plain = true;
  const tx = new OrderedTransactions(writers);
  const sizes = resume && resume.records > 0 ? [resume.records, batchSize] : [batchSize];
  try {
    for await (const lines of spill.lines(sizes)) {
      throwIfAborted(opts.signal, 'import');
      for (const l of lines) digest.update(l).update('\n');
      done += lines.length;
      const upTo = done;
      const lineDigest = digest.copy().digest('hex').slice(0, 32);
      if (resume && done === resume.records && sizes.length === 2) {
        if (lineDigest !== resume.digest) return undefined;
        report.resumedAfter = done;
        staged = resume.staged;
        continue;
      }
      await tx.submit({
        work: async (c) => {
          const r = await writeBatch(c, mapping, types, lines, plain);
          if (r.conflicted) plain = false;
          return r;
        },
        checkpoint: async (c, r) => {
          staged.add(r.staged);
          await advance(c, key, `spill:${upTo}:${lineDigest}:${staged.save()}`, lines.length);
        },
        committed: async (r) => {
          report.written.inserted += r.inserted;
          report.written.updated += r.updated;
          report.written.unchanged += r.unchanged;
          report.written.batches++;
          opts.onProgress?.({ phase: 'write', records: upTo, total: spill.count });
          if (opts.pauseMs) await new Promise((res) => setTimeout(res, opts.pauseMs));
        },
      });
    }
    await tx.drain();
  } catch (err) {
    await tx.settle();
    throw err;
  }
  if (resume && resume.records > 0 && done < resume.records) return undefined;
  return staged;
}
