// Child processes (pg_dump, pg_restore): no secret ever reaches argv (argv is visible to every user
// through ps and /proc). The password travels in PGPASSWORD; an sslpassword (key passphrase), which has
// no environment variable in libpq, travels in a private 0600 service file removed at exit. stderr is
// kept (tail only) and redacted before anyone sees it.
import { type ChildProcess, spawn } from 'node:child_process';
import { PgwardError, UsageError } from '../errors.js';
import { redact, registerSecret } from '../redact.js';
import { privateServiceFile } from './service-file.js';

export interface PgConn {
  /** conninfo URL without any secret, safe for argv. */
  url: string;
  env: NodeJS.ProcessEnv;
}

/** libpq connection parameters whose value is a secret: they must never be in a child's argv. */
const SECRET_PARAMS = ['password', 'sslpassword'] as const;

/** Removes every secret parameter from the URL (userinfo password and query form); returns their values. */
function takeSecrets(u: URL): { password?: string; sslpassword?: string } {
  const found: { password?: string; sslpassword?: string } = {};
  if (u.password) found.password = decodeLoosely(u.password);
  u.password = '';
  if (u.search) {
    // Edited by hand, not through URLSearchParams: that re-encodes every other parameter (a space as
    // '+', which libpq does not decode), so `options=-c%20x%3Dy` would change meaning.
    const kept: string[] = [];
    for (const pair of u.search.slice(1).split('&')) {
      const eq = pair.indexOf('=');
      const key = decodeLoosely(eq < 0 ? pair : pair.slice(0, eq));
      // Dropped in any case (libpq rejects `PASSWORD=`, but its value must not reach argv on the way);
      // used only as libpq spells it, after the userinfo, the last occurrence winning as in libpq.
      if (!(SECRET_PARAMS as readonly string[]).includes(key.toLowerCase())) kept.push(pair);
      else if ((SECRET_PARAMS as readonly string[]).includes(key))
        found[key as (typeof SECRET_PARAMS)[number]] = decodeLoosely(eq < 0 ? '' : pair.slice(eq + 1));
    }
    u.search = kept.length ? `?${kept.join('&')}` : '';
  }
  registerSecret(found.password);
  registerSecret(found.sslpassword);
  return found;
}

/** Percent-decoding as libpq does it ('+' stays '+'); a malformed escape is kept as written. */
function decodeLoosely(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Splits a postgres URL into a secret-free URL for argv and an env carrying the secrets. */
export function pgConn(url: string, database?: string, penv: NodeJS.ProcessEnv = process.env): PgConn {
  const u = new URL(url);
  const secrets = takeSecrets(u);
  if (database !== undefined) u.pathname = `/${encodeURIComponent(database)}`;
  const env: NodeJS.ProcessEnv = { ...penv };
  if (secrets.password !== undefined) env.PGPASSWORD = secrets.password;
  if (secrets.sslpassword !== undefined) {
    if (/(?:^\?|&)service=/.test(u.search) || penv.PGSERVICE)
      throw new UsageError(
        'sslpassword in the database URL cannot be combined with a libpq service',
        'put sslpassword in the service file instead of the URL',
      );
    const file = privateServiceFile({ sslpassword: secrets.sslpassword });
    env.PGSERVICEFILE = file.path;
    u.search = `${u.search ? `${u.search}&` : '?'}service=${file.service}`;
  }
  return { url: u.toString(), env };
}

export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Keeps the last lines of a stream (pg_dump --verbose can print one line per object). */
export class TailBuffer {
  private lines: string[] = [];
  private partial = '';
  constructor(
    private readonly max = 40,
    private readonly onLine?: (line: string) => void,
  ) {}
  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    for (const l of parts) this.add(l);
  }
  private add(line: string): void {
    this.onLine?.(line);
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text(filter?: (l: string) => boolean): string {
    if (this.partial) {
      this.add(this.partial);
      this.partial = '';
    }
    return redact(
      this.lines
        .filter(filter ?? (() => true))
        .join('\n')
        .trim(),
    );
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, collecting output (for short commands like --version and --list). */
export function run(program: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err = new TailBuffer(60);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new PgwardError(`cannot run ${program}: ${e.message}`)));
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: err.text() }),
    );
  });
}

/** Resolves when the child exits; never rejects (spawn errors are turned into code null). */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('error', () => resolve({ code: null, signal: null }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/** One line naming the program and how it ended, with its (redacted) stderr as details. */
export function programFailure(
  what: string,
  r: { code: number | null; signal: NodeJS.Signals | null },
  stderr: string,
  hint?: string,
): PgwardError {
  const how = r.signal
    ? `was killed by ${r.signal}`
    : r.code === null
      ? 'could not be started'
      : `exited with code ${r.code}`;
  return new PgwardError(`${what} ${how}`, {
    details: stderr ? stderr.split('\n').slice(-15) : [],
    ...(hint ? { hint } : {}),
  });
}

/**
 * Stops a child on interrupt: SIGTERM first (pg_dump/pg_restore then stop their parallel workers and
 * cancel their queries), SIGKILL if it is still there after `graceMs`.
 */
export function stopChild(child: ChildProcess, graceMs = 5000): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const hard = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, graceMs);
  hard.unref();
  child.once('close', () => clearTimeout(hard));
}
