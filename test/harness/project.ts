// Temporary project folders with migration files, and a way to run the built CLI against them.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bundled CLI, exactly what `npm install -g pgward` puts on the PATH. */
export const CLI = join(ROOT, 'dist', 'bin', 'pgward.js');

/** Writes files (paths relative to a new temp dir) and returns the dir. */
export function makeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-proj-'));
  for (const [rel, content] of Object.entries(files)) writeFile(dir, rel, content);
  return dir;
}

export function writeFile(dir: string, rel: string, content: string): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Called once the process has started, e.g. to send it a signal. */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

/**
 * The environment every spawned CLI gets: the test process's, colourless, and without a DATABASE_URL or
 * PGWARD_ENV inherited from the shell (a test that wants one passes it in `extra`). The one place this is
 * decided, so no runner reaches a database the test did not name.
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...extra };
  if (!('DATABASE_URL' in extra)) delete env.DATABASE_URL;
  if (!('PGWARD_ENV' in extra)) delete env.PGWARD_ENV;
  return env;
}

/** What a finished child process wrote and how it ended (the runner of the CLI and of framework apps). */
export function collect(child: import('node:child_process').ChildProcess): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** Runs `pgward <args>` from dist/ (npm test builds first) with a clean, colourless environment. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: cliEnv(opts.env),
    stdio: 'pipe',
  });
  const done = collect(child);
  opts.onSpawn?.(child);
  return done;
}

/** A migration file body in pgward's format. */
export function migration(up: string, down?: string, opts: { noTransaction?: boolean } = {}): string {
  return `${opts.noTransaction ? '-- pgward:no-transaction\n' : ''}-- migrate:up\n${up}\n${
    down !== undefined ? `\n-- migrate:down\n${down}\n` : ''
  }`;
}
