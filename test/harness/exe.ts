// The single executable (npm run build:exe) as a user without Node.js gets it: copied alone into an
// empty folder, run with a PATH that holds only the PostgreSQL client tools (no `node` anywhere on it)
// and a bare environment. Shared by test/exe.test.ts and bench/exe.
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { findPgBinDir } from './cluster.js';
import { CLI, type CliResult, collect, ROOT } from './project.js';
import { type ServeProcess, spawnServe } from './serve.js';

export const EXE = join(ROOT, 'dist', 'exe', `pgward-${process.platform}-${process.arch}`);

/** What the executable is built from: a change to any of them makes the built one stale. */
const INPUTS = [
  'src',
  'scripts/build-exe.mjs',
  'scripts/exe-assets.mjs',
  'scripts/build-info.mjs',
  'package-lock.json',
];

function newestInput(): number {
  let newest = 0;
  for (const input of INPUTS) {
    const p = join(ROOT, input);
    const files = statSync(p).isDirectory()
      ? readdirSync(p, { recursive: true, encoding: 'utf8' }).map((f) => join(p, f))
      : [p];
    for (const f of files) newest = Math.max(newest, statSync(f).mtimeMs);
  }
  return newest;
}

/** Builds the executable unless the one in dist/exe is newer than everything it is built from. */
export function ensureExecutable(): string {
  if (!existsSync(EXE) || statSync(EXE).mtimeMs < newestInput()) {
    execFileSync(process.execPath, ['scripts/build-exe.mjs'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return EXE;
}

export interface BareMachine {
  /** The executable, copied alone into a folder with no node_modules. */
  exe: string;
  /** The only folder on PATH: links to the PostgreSQL client tools. */
  bin: string;
  /** A bare environment: PATH (no node), HOME, TMPDIR, no colours, plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Removes the folder. */
  cleanup(): void;
}

const PG_TOOLS = ['pg_dump', 'pg_restore', 'psql'];

/** A folder holding only the executable, and a PATH holding only the PostgreSQL client tools. */
export function bareMachine(exe = ensureExecutable()): BareMachine {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-exe-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const pgBin = findPgBinDir();
  for (const tool of PG_TOOLS) symlinkSync(join(pgBin, tool), join(bin, tool));
  const copy = join(dir, 'app', 'pgward');
  mkdirSync(join(dir, 'app'));
  copyFileSync(exe, copy);
  const home = join(dir, 'home');
  mkdirSync(home);
  return {
    exe: copy,
    bin,
    env: (extra = {}) => ({
      PATH: bin,
      HOME: home,
      TMPDIR: process.env.TMPDIR ?? tmpdir(),
      NO_COLOR: '1',
      ...extra,
    }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Whether `program` resolves on this PATH (as a shell would look it up). */
export function onPath(program: string, path: string): boolean {
  return path.split(delimiter).some((d) => existsSync(join(d, program)));
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
}

/** Runs the executable. */
export function runExe(m: BareMachine, args: string[], opts: RunOptions): Promise<CliResult> {
  return collect(spawn(m.exe, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Runs the npm package's CLI (dist/bin/pgward.js) with the same bare environment, node by its full path. */
export function runNpm(args: string[], opts: RunOptions): Promise<CliResult> {
  return collect(
    spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Starts `serve --port 0` with the executable; resolves with its URL once it listens. */
export function serveExe(m: BareMachine, opts: RunOptions): Promise<ServeProcess> {
  return spawnServe(m.exe, ['serve', '--port', '0'], opts);
}
