// `lintPaths` on several threads: the files are cut into batches that the calling thread and the workers
// take in turn from one shared counter (a thread that is slowed down simply takes fewer), each file is
// linted whole by one thread, and the results are put back in file order: the report is the same as on
// one thread. Offline only (the workers get no schema facts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ExitCode, type ExitCodeValue, PgwardError, UsageError } from '../errors.js';
import { type LintFileResult, lintFile } from './file-lint.js';
import type { PgVersion } from './version.js';

export interface FileToLint {
  path: string;
  /** The file's name in the report. */
  shown: string;
}

/** What a worker is given (workerData). */
export interface LintJob {
  files: FileToLint[];
  down: boolean;
  version: PgVersion;
  /** One Int32: the next batch to take. */
  counter: SharedArrayBuffer;
}

/** What a worker sends back: a batch's results, a file that failed, or that it has finished. */
export type LintReply =
  | { batch: number; results: LintFileResult[] }
  | { failed: number; error: ErrorShape }
  | { done: true };

interface ErrorShape {
  name: string;
  message: string;
  hint: string | undefined;
  exitCode: ExitCodeValue | undefined;
  details: string[];
}

/** Files per batch: small enough to share the work evenly, large enough that messages stay few. */
export const BATCH = 8;
/** The worker's script: next to this module in dist/lint/, and in the CLI's bundle in dist/bin/. */
const WORKER = new URL('./lint-worker.js', import.meta.url);

/**
 * Lints the files on `workers` threads (the calling one included). Undefined when it is not worth it (too
 * few files) or not possible (running from the TypeScript sources: there is no built worker script).
 */
export async function lintFilesInParallel(
  files: FileToLint[],
  opts: { down: boolean; version: PgVersion; workers: number },
): Promise<LintFileResult[] | undefined> {
  const extra = Math.min(opts.workers - 1, Math.floor(files.length / (2 * BATCH)));
  if (extra < 1 || WORKER.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER))) return undefined;
  const job: LintJob = { files, down: opts.down, version: opts.version, counter: new SharedArrayBuffer(4) };
  const results: (LintFileResult | undefined)[] = new Array(files.length);
  const failures = new Map<number, unknown>();
  const threads = Array.from({ length: extra }, () => startWorker(job, results, failures));
  takeBatches(job, (i) => {
    try {
      results[i] = lintFile(files[i]!.path, files[i]!.shown, opts.down, opts.version, undefined);
    } catch (err) {
      failures.set(i, err);
    }
  });
  await Promise.all(threads);
  // A worker that died (its batches lost) or was never scheduled: its files are linted here.
  for (let i = 0; i < files.length; i++)
    if (results[i] === undefined && !failures.has(i))
      try {
        results[i] = lintFile(files[i]!.path, files[i]!.shown, opts.down, opts.version, undefined);
      } catch (err) {
        failures.set(i, err);
      }
  // One thread would have stopped at the first file that fails: the same error, whichever thread met it.
  if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
  return results as LintFileResult[];
}

/** Takes batches from the shared counter until none is left, calling `each` for every file index. */
export function takeBatches(job: LintJob, each: (index: number) => void): void {
  const counter = new Int32Array(job.counter);
  for (;;) {
    const start = Atomics.add(counter, 0, 1) * BATCH;
    if (start >= job.files.length) return;
    for (let i = start; i < Math.min(start + BATCH, job.files.length); i++) each(i);
  }
}

function startWorker(
  job: LintJob,
  results: (LintFileResult | undefined)[],
  failures: Map<number, unknown>,
): Promise<void> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER, { workerData: job });
    worker.on('message', (m: LintReply) => {
      if ('results' in m)
        m.results.forEach((r, k) => {
          results[m.batch * BATCH + k] = r;
        });
      else if ('failed' in m) failures.set(m.failed, revive(m.error));
    });
    // Whatever happened to it, the files it did not return are linted by the calling thread.
    worker.on('error', () => undefined);
    worker.on('exit', () => resolve());
  });
}

export function errorShape(err: unknown): ErrorShape {
  const e = err as Partial<PgwardError> & { name?: string; message?: string };
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(err),
    hint: e?.hint,
    exitCode: e?.exitCode,
    details: e?.details ?? [],
  };
}

function revive(e: ErrorShape): Error {
  if (e.name === 'UsageError') return new UsageError(e.message, e.hint);
  if (e.exitCode !== undefined)
    return new PgwardError(e.message, {
      exitCode: e.exitCode ?? ExitCode.runtime,
      ...(e.hint ? { hint: e.hint } : {}),
      details: e.details,
    });
  return new Error(e.message);
}
