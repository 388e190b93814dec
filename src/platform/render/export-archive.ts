// A Render Postgres logical export, read locally: downloaded from its (pre-signed) url, unpacked (a
// tar.gz of a pg_dump directory-format archive), checked with pg_restore --list, and its per-table row
// counts read from the archive itself: each TABLE DATA entry's <dumpId>.dat[.gz] file holds the table in
// COPY text format, one line per row (newlines inside values are escaped), ended by a `\.` line.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { PgwardError } from '../../errors.js';
import { exited, run, TailBuffer } from '../../pgtools/exec.js';
import type { PgTools } from '../../pgtools/pgbin.js';

export interface ArchiveTableCount {
  schema: string;
  name: string;
  rows: number;
}

/** Downloads an export to `file` (the url is never shown: it may carry a signature). */
export async function downloadExport(
  url: string,
  file: string,
  what: string,
  signal?: AbortSignal,
): Promise<number> {
  let res: Response;
  try {
    res = await fetch(url, signal ? { signal } : {});
  } catch (err) {
    throw new PgwardError(`downloading ${what} failed: ${(err as Error).message}`, {
      hint: 'run again; exports stay listed on Render',
    });
  }
  if (!res.ok || !res.body)
    throw new PgwardError(`downloading ${what} failed: HTTP ${res.status}`, {
      hint: 'its download link may have expired: run again without --export to take a new export',
    });
  await pipeline(Readable.fromWeb(res.body as ReadableStream), createWriteStream(file));
  return statSync(file).size;
}

/** Unpacks the tar.gz into `dir` and returns the folder holding toc.dat (a directory-format archive). */
export async function unpackExport(file: string, dir: string, what: string): Promise<string> {
  const child = spawn('tar', ['-xzf', file, '-C', dir, '--no-same-owner'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = new TailBuffer(10);
  child.stderr.on('data', (d: Buffer) => stderr.push(d));
  const r = await exited(child);
  if (r.code !== 0)
    throw new PgwardError(
      `${what} is not a tar.gz archive: ${stderr.text().split('\n')[0] ?? `tar exit ${r.code}`}`,
    );
  const found = findToc(dir, 0);
  if (!found) throw new PgwardError(`${what} holds no pg_dump directory archive (no toc.dat inside)`);
  return found;
}

function findToc(dir: string, depth: number): string | null {
  if (existsSync(join(dir, 'toc.dat'))) return dir;
  if (depth > 3) return null;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const f = findToc(join(dir, e.name), depth + 1);
    if (f) return f;
  }
  return null;
}

interface TocData {
  dumpId: number;
  schema: string;
  name: string;
}

/** pg_restore --list of the archive: proves it is readable; returns its TABLE DATA entries. */
export async function tableDataEntries(tools: PgTools, archiveDir: string, what: string): Promise<TocData[]> {
  const r = await run(tools.pgRestore, ['--list', archiveDir]);
  if (r.code !== 0)
    throw new PgwardError(
      `${what} is not a readable pg_dump archive: ${r.stderr.trim().split('\n')[0] ?? ''}`,
      {
        hint: `pg_restore ${tools.version} read it; a newer pg_restore may be needed (set PGWARD_PG_BIN)`,
      },
    );
  const out: TocData[] = [];
  for (const line of r.stdout.split('\n')) {
    // "3345; 0 16390 TABLE DATA public orders owner"
    const m = /^(\d+); \d+ \d+ TABLE DATA (\S+) (\S+) \S+$/.exec(line);
    if (m) out.push({ dumpId: Number(m[1]), schema: m[2] as string, name: m[3] as string });
  }
  return out;
}

/** Rows of one table in the archive: lines of its COPY data file up to the `\.` terminator. */
async function countCopyLines(archiveDir: string, dumpId: number): Promise<number> {
  const gz = join(archiveDir, `${dumpId}.dat.gz`);
  const plain = join(archiveDir, `${dumpId}.dat`);
  let input: Readable;
  if (existsSync(gz)) input = createReadStream(gz).pipe(createGunzip());
  else if (existsSync(plain)) input = createReadStream(plain);
  else
    throw new PgwardError(
      `the export's data file ${dumpId}.dat(.gz) is missing (lz4/zstd exports are not read yet)`,
    );
  let rows = 0;
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === '\\.') break;
    rows++;
  }
  return rows;
}

/** Per-table row counts read from the archive's data files. */
export async function archiveRowCounts(
  tools: PgTools,
  archiveDir: string,
  what: string,
): Promise<ArchiveTableCount[]> {
  const entries = await tableDataEntries(tools, archiveDir, what);
  const out: ArchiveTableCount[] = [];
  for (const e of entries)
    out.push({ schema: e.schema, name: e.name, rows: await countCopyLines(archiveDir, e.dumpId) });
  return out;
}
