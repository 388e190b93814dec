// `pgward import`: read the source once — validating, hashing and spilling each record to a local file —
// then, only if everything is valid, write the spill in batches (each with its checkpoint, so a killed
// run resumes after the last committed batch), then prove the target holds what was read (counts and
// content hashes per kind). A dry run stops after validation and writes nothing, not even a checkpoint.
import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import type pg from 'pg';
import { connect } from '../db/connect.js';
import { ExitCode, PgwardError } from '../errors.js';
import { throwIfAborted } from '../interrupt.js';
import { advance, ensureCheckpointTable, finishRun, startRun } from './checkpoint.js';
import { OrderedTransactions } from './ordered.js';
import { MAX_LISTED_KINDS, proveBySql, proveImport } from './proof.js';
import { Spill } from './spill.js';
import { SqlHash } from './sql-hash.js';
import { type StagedBatch, Stager } from './stager.js';
import { checkTarget, concurrentWritesSafe, writeStaged } from './target.js';
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
  const spill = opts.dryRun ? undefined : new Spill(batchSize);
  const writers = [client];
  try {
    const report = emptyReport(opts, mapping);
    let types: Record<string, string> | undefined;
    try {
      types = await checkTarget(client, mapping);
    } catch (err) {
      if (!opts.dryRun) throw err;
      report.targetProblem = (err as Error).message;
    }
    if (spill) writers.push(...(await moreWriters(client, opts, mapping)));
    const stager = spill ? new Stager(writers) : undefined;
    if (spill) spill.tap = stager;
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
    if (!spill || !stager || blocked) return finish(report, blocked ? 'invalid' : 'dry-run', started);
    const batches = await stager.finish();
    const staged = await writeAll(writers, opts, batches, mapping, types!, report);
    return finish(
      report,
      await prove(client, opts, { spill, staged, mapping, schemas }, v.kinds, report),
      started,
    );
  } finally {
    spill?.remove();
    for (const c of writers) await c.end().catch(() => {});
  }
}

/** The proof after writing: the quick one in SQL for many kinds, the detailed one otherwise or on a mismatch. */
async function prove(
  client: pg.Client,
  opts: ImportOptions,
  read: { spill: Spill; staged: SqlHash; mapping: ImportMapping; schemas: Map<string, ValidateFunction> },
  kinds: number,
  report: ImportResult,
): Promise<ImportStatus> {
  const { spill, staged, mapping, schemas } = read;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const progress = (n: number) => opts.onProgress?.({ phase: 'verify', records: n, total: kinds });
  let quick: ProofEntry | undefined;
  if (kinds > MAX_LISTED_KINDS) {
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
  return report.proof.match ? 'imported' : 'mismatch';
}

/**
 * The writing connections besides `client`: `writers - 1` of them, or none when the table has triggers
 * or other unique indexes (two batches could then wait on each other).
 */
async function moreWriters(client: pg.Client, opts: ImportOptions, m: ImportMapping): Promise<pg.Client[]> {
  const more = (opts.writers ?? DEFAULT_WRITERS) - 1;
  const out: pg.Client[] = [];
  if (more > 0 && (await concurrentWritesSafe(client, m)))
    for (let i = 0; i < more; i++) out.push(await connect(opts.url));
  return out;
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
  writers: pg.Client[],
  opts: ImportOptions,
  batches: StagedBatch[],
  mapping: ImportMapping,
  types: Record<string, string>,
  report: ImportResult,
): Promise<SqlHash> {
  const client = writers[0]!;
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
  const run = { writers, opts, batches, mapping, types, report, key };
  // the records read this time differ before the checkpoint (another order, changed values): all again
  const staged = (await writeFrom(run, parsePosition(cp.position))) ?? (await writeFrom(run, null))!;
  await finishRun(client, key);
  return staged;
}

interface Resume {
  records: number;
  /** sha256 (hex, 32 digits) of the spill's lines up to `records`. */
  digest: string;
  /** The content hash of the rows staged up to `records`. */
  staged: SqlHash;
}

/**
 * A checkpoint position: `spill2:<records>:<digest>:<staged hash>` (`spill:` positions, whose staged
 * hash was sha256-based, are not resumed: their records are written again, which changes nothing).
 */
function parsePosition(p: string | null): Resume | null {
  const m = /^spill2:(\d+):([0-9a-f]+):([0-9a-f.]+)$/.exec(p ?? '');
  const staged = m ? SqlHash.load(m[3]!) : undefined;
  return m && staged ? { records: Number(m[1]), digest: m[2]!, staged } : null;
}

interface Run {
  writers: pg.Client[];
  opts: ImportOptions;
  batches: StagedBatch[];
  mapping: ImportMapping;
  types: Record<string, string>;
  report: ImportResult;
  key: string;
}

/**
 * The staged batches written, each with its checkpoint, after those a previous run committed when they
 * are the same records (same lines, by digest); undefined when they are not. Batches are written on the
 * connection that staged them, several at once, committed in order (ordered.ts).
 */
async function writeFrom(run: Run, resume: Resume | null): Promise<SqlHash | undefined> {
  const { opts, report } = run;
  let staged = new SqlHash();
  let start = 0;
  if (resume && resume.records > 0) {
    const at = run.batches.findIndex((b) => b.upTo === resume.records);
    if (at < 0 || run.batches[at]!.digest !== resume.digest) return undefined;
    report.resumedAfter = resume.records;
    staged = resume.staged;
    start = at + 1;
  }
  // plain inserts while no batch has met an existing key (a first import); upserts from the first that has
  let plain = true;
  const tx = new OrderedTransactions(run.writers);
  try {
    for (const batch of run.batches.slice(start)) {
      throwIfAborted(opts.signal, 'import');
      await tx.submit(
        {
          work: async (c) => {
            const r = await writeStaged(c, run.mapping, run.types, batch, plain);
            if (r.conflicted) plain = false;
            return r;
          },
          checkpoint: async (c) => {
            staged.add(batch.staged);
            await advance(c, run.key, `spill2:${batch.upTo}:${batch.digest}:${staged.save()}`, batch.lines);
          },
          committed: async (r) => {
            report.written.inserted += r.inserted;
            report.written.updated += r.updated;
            report.written.unchanged += r.unchanged;
            report.written.batches++;
            opts.onProgress?.({ phase: 'write', records: batch.upTo, total: run.batches.at(-1)?.upTo ?? 0 });
            if (opts.pauseMs) await new Promise((res) => setTimeout(res, opts.pauseMs));
          },
        },
        batch.writer,
      );
    }
    await tx.drain();
  } catch (err) {
    await tx.settle();
    throw err;
  }
  return staged;
}
