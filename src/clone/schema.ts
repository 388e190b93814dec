// The schema half of a clone, done by pg_dump/pg_restore: one schema-only archive taken in the clone's
// snapshot (small: no rows), restored in two passes around the data: pre-data first (types, tables,
// functions...), post-data last minus the indexes and constraints pgward already built in parallel.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterruptedError } from '../interrupt.js';
import { exited, type PgConn, programFailure, run, stopChild, TailBuffer } from '../pgtools/exec.js';
import type { PgTools } from '../pgtools/pgbin.js';

export interface SchemaArchive {
  path: string;
  dir: string;
  cleanup(): void;
}

/** Defaults that fit managed targets: no owners, grants, tablespaces, security labels, publications or subscriptions. */
const PORTABLE = ['--no-owner', '--no-privileges', '--no-tablespaces', '--no-security-labels'];

export async function dumpSchema(
  tools: PgTools,
  source: PgConn,
  snapshot: string,
  tableArgs: string[],
  signal?: AbortSignal,
): Promise<SchemaArchive> {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-clone-'));
  const path = join(dir, 'schema.dump');
  const args = [
    '--no-password',
    `--dbname=${source.url}`,
    '--schema-only',
    '--format=custom',
    `--snapshot=${snapshot}`,
    '--no-subscriptions',
    '--no-publications',
    ...PORTABLE,
    ...tableArgs,
    `--file=${path}`,
  ];
  const r = await runTool(tools.pgDump, args, source.env, signal).catch((err) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  if (r) {
    rmSync(dir, { recursive: true, force: true });
    throw programFailure('pg_dump --schema-only', r.result, r.stderr);
  }
  return { path, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function runTool(
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<{ result: { code: number | null; signal: NodeJS.Signals | null }; stderr: string } | null> {
  if (signal?.aborted) throw new InterruptedError('clone');
  const stderr = new TailBuffer(60);
  const child = spawn(program, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d: Buffer) => stderr.push(d));
  // An interrupted clone stops its pg_dump/pg_restore too: none keeps writing after pgward exits.
  const stop = () => stopChild(child);
  signal?.addEventListener('abort', stop, { once: true });
  const result = await exited(child).finally(() => signal?.removeEventListener('abort', stop));
  if (signal?.aborted) throw new InterruptedError('clone');
  return result.code === 0 ? null : { result, stderr: stderr.text() };
}

export async function restorePreData(
  tools: PgTools,
  archive: SchemaArchive,
  target: PgConn,
  signal?: AbortSignal,
): Promise<void> {
  const args = [
    '--no-password',
    `--dbname=${target.url}`,
    '--section=pre-data',
    '--exit-on-error',
    ...PORTABLE,
  ];
  const r = await runTool(tools.pgRestore, [...args, archive.path], target.env, signal);
  if (r) throw programFailure('pg_restore (pre-data)', r.result, r.stderr);
}

/**
 * Post-data without the entries whose object id is in `skip` (indexes and constraints already built).
 * The TOC line format is `dumpId; catalogOid objectOid TYPE schema name owner`.
 */
export async function restorePostData(
  tools: PgTools,
  archive: SchemaArchive,
  target: PgConn,
  skip: Set<number>,
  jobs: number,
  signal?: AbortSignal,
): Promise<void> {
  const list = await run(tools.pgRestore, ['--list', archive.path]);
  if (list.code !== 0) throw programFailure('pg_restore --list', list, list.stderr);
  const filtered = list.stdout
    .split('\n')
    .map((line) => {
      const m = /^\d+;\s+\d+\s+(\d+)\s+(INDEX|CONSTRAINT)\s/.exec(line);
      return m && skip.has(Number(m[1])) ? `;${line}` : line;
    })
    .join('\n');
  const listPath = join(archive.dir, 'post-data.list');
  writeFileSync(listPath, filtered);
  const args = [
    '--no-password',
    `--dbname=${target.url}`,
    '--section=post-data',
    '--exit-on-error',
    `--jobs=${Math.max(1, jobs)}`,
    `--use-list=${listPath}`,
    ...PORTABLE,
    archive.path,
  ];
  // --exit-on-error cannot be combined with --jobs on every version; parallel workers report errors anyway.
  const r = await runTool(
    tools.pgRestore,
    jobs > 1 ? args.filter((a) => a !== '--exit-on-error') : args,
    target.env,
    signal,
  );
  if (r) throw programFailure('pg_restore (post-data)', r.result, r.stderr);
}
