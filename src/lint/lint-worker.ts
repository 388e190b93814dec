// A worker thread of `lintPaths` (see parallel.ts): loads the parser, takes batches of files from the
// shared counter and sends each batch's results back; a file that fails is reported and skipped.
import { parentPort, workerData } from 'node:worker_threads';
import { ensureParser } from '../sql/parser.js';
import { type LintFileResult, lintFile } from './file-lint.js';
import { BATCH, errorShape, type LintJob, type LintReply, takeBatches } from './parallel.js';

const job = workerData as LintJob;
const send = (m: LintReply) => parentPort!.postMessage(m);
await ensureParser();
let batch: LintFileResult[] = [];
takeBatches(job, (i) => {
  const f = job.files[i]!;
  try {
    batch.push(lintFile(f.path, f.shown, job.down, job.version, undefined));
  } catch (err) {
    send({ failed: i, error: errorShape(err) });
    batch.push(undefined as unknown as LintFileResult); // keeps the batch's positions; never read
  }
  if (i % BATCH === BATCH - 1 || i === job.files.length - 1) {
    send({ batch: Math.floor(i / BATCH), results: batch });
    batch = [];
  }
});
send({ done: true });
