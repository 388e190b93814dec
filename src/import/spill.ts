// The validated records of one import, spilled to a private temporary file as they are read: the source
// (a live Redis, a folder of files) is read once, by the validation pass, and the writer and the proof
// read this local file instead. Each line is already a row of COPY's text format (key, tab, JSON), so the
// writer sends lines as they are (each batch is handed to the stager as one buffer, see stager.ts; the
// proof reads the file back). Nothing is written to the database until the whole source has been
// read and validated, and memory holds one batch, never the dataset. The folder (pgward-import-*, with an
// `owner` file naming the process) is removed afterwards; one left by a killed run is removed by the next.
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { processAlive } from '../db/owned.js';
import type { ImportSource, SourceBatch } from './types.js';

const PREFIX = 'pgward-import-';

/** COPY text format: backslash, tab, newline and carriage return escaped. */
export function copyField(s: string): string {
  return /[\\\t\n\r]/.test(s)
    ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : s;
}

export function uncopyField(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** A run of spilled lines, written to the file and handed to the tap as one buffer. */
export interface SpillBatch {
  /** COPY text lines, each ending in a newline. */
  data: Buffer;
  lines: number;
  /** Records spilled up to and including this batch. */
  upTo: number;
  /** sha256 (hex, 32 digits) of the spill's bytes up to `upTo`, for a resume check. */
  digest: string;
}

export interface SpillTap {
  add(batch: SpillBatch): void;
  settle(): Promise<void>;
}

/** A batch is also cut at this many bytes, so that huge documents do not make a huge batch. */
const MAX_BATCH_BYTES = 64 << 20;

export class Spill {
  readonly dir: string;
  readonly file: string;
  private readonly fd: number;
  private buf: string[] = [];
  private bytes = 0;
  private readonly digest = createHash('sha256');
  count = 0;
  /** Given every batch as it is written (the stager). */
  tap: SpillTap | undefined;
  /** Waits while the tap is behind (called between source batches). */
  async settle(): Promise<void> {
    await this.tap?.settle();
  }
  /** `batchLines`: records per batch (the import's batch size). */
  constructor(private readonly batchLines = 20_000) {
    sweepOrphans();
    this.dir = mkdtempSync(join(tmpdir(), PREFIX));
    writeFileSync(join(this.dir, 'owner'), String(process.pid));
    this.file = join(this.dir, 'records.copy');
    this.fd = openSync(this.file, 'w', 0o600);
  }
  /** One record: its key and its JSON text. */
  add(key: string, json: string): void {
    const line = `${copyField(key)}\t${copyField(json)}\n`;
    this.buf.push(line);
    this.bytes += line.length;
    this.count++;
    if (this.buf.length >= this.batchLines || this.bytes >= MAX_BATCH_BYTES) this.flush();
  }
  /** The lines spilled since the last batch: one buffer, encoded once, for the file and for the tap. */
  flush(): void {
    if (this.buf.length === 0) return;
    const data = Buffer.from(this.buf.join(''));
    for (let at = 0; at < data.length; ) at += writeSync(this.fd, data, at);
    this.digest.update(data);
    const batch = {
      data,
      lines: this.buf.length,
      upTo: this.count,
      digest: this.digest.copy().digest('hex').slice(0, 32),
    };
    this.buf = [];
    this.bytes = 0;
    this.tap?.add(batch);
  }
  private closed = false;
  /** Finishes writing (before reading). Once: a descriptor closed twice may be another stream's by then. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }
  /** The lines (without their newline) in runs of `sizes[0]`, then `sizes[1]`, … (the last size repeats). */
  async *lines(sizes: number[]): AsyncIterable<string[]> {
    const rl = createInterface({
      input: createReadStream(this.file, { highWaterMark: 1 << 20 }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let i = 0;
    let run: string[] = [];
    for await (const line of rl) {
      run.push(line);
      if (run.length >= sizes[Math.min(i, sizes.length - 1)]!) {
        yield run;
        run = [];
        i++;
      }
    }
    if (run.length > 0) yield run;
  }
  /** The spilled records as an import source (for the detailed proof). */
  source(description: string): ImportSource {
    const spill = this;
    return {
      description,
      fingerprint: async () => 'spill',
      async *batches(batchSize: number): AsyncIterable<SourceBatch> {
        let n = 0;
        for await (const run of spill.lines([batchSize])) {
          const records = run.map((line) => {
            const tab = line.indexOf('\t');
            const kind = uncopyField(line.slice(0, tab));
            return { kind, data: JSON.parse(uncopyField(line.slice(tab + 1))), origin: kind };
          });
          n += run.length;
          yield { records, position: String(n) };
        }
      },
      close: async () => {},
    };
  }
  remove(): void {
    if (!this.closed) {
      this.closed = true;
      closeSync(this.fd);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function sweepOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(dir, 'owner'), 'utf8').trim());
      if (owner && processAlive(owner)) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // no owner file yet (being created) or already gone
    }
  }
}
