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

/** Runs `pgward <args>` from dist/ (npm test builds first) with a clean, colourless environment. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...opts.env };
  delete env.DATABASE_URL;
  delete env.PGWARD_ENV;
  if (opts.env && 'DATABASE_URL' in opts.env) env.DATABASE_URL = opts.env.DATABASE_URL;
  if (opts.env && 'PGWARD_ENV' in opts.env) env.PGWARD_ENV = opts.env.PGWARD_ENV;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    opts.onSpawn?.(child);
  });
}

/** A migration file body in pgward's format. */
export function migration(up: string, down?: string, opts: { noTransaction?: boolean } = {}): string {
  return `${opts.noTransaction ? '-- pgward:no-transaction\n' : ''}-- migrate:up\n${up}\n${
    down !== undefined ? `\n-- migrate:down\n${down}\n` : ''
  }`;
}
