// Runs one command (a framework's migrate command, a one-off script) with its database connections
// going through the guard: the child is given only the guard's loopback address and a one-time
// password; the real URL, its password and PG* settings never reach it. The whole-run timeout and an
// interrupt first cancel the running statements, then terminate the sessions and kill the child.
import { spawn } from 'node:child_process';
import { PgwardError } from '../errors.js';
import { redact } from '../redact.js';
import { type Guard, signalBackends, startGuard } from './proxy.js';
import type { Inspector, StatementRecord } from './types.js';

export interface GuardedCommandOptions {
  upstreamUrl: string;
  /** Forced on every session, e.g. { lock_timeout: '5000ms' }. */
  settings: Record<string, string>;
  inspector: Inspector;
  argv: string[];
  cwd: string;
  /** Variables that point the command at the guard (DATABASE_URL, the framework's own settings). */
  env(guard: Guard): Record<string, string>;
  /** Whole-run limit; null for none. */
  timeoutMs: number | null;
  signal?: AbortSignal | undefined;
  onStatement?(rec: StatementRecord): void;
  /** Where the command's own output goes (default: this process's stderr, so stdout stays for --json). */
  onOutput?(chunk: Buffer): void;
  /** Other databases the command must not be handed either: variables carrying their URL or password are left out. */
  hiddenUrls?: string[];
}

export interface GuardedCommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  interrupted: boolean;
  statements: StatementRecord[];
  sessions: number;
  /** The last lines the command wrote to stderr (for the report when it fails). */
  stderrTail: string;
  durationMs: number;
}

/** Grace between cancelling the running statements and terminating the sessions / killing the child. */
const KILL_GRACE_MS = 5_000;

/** Variables of the parent that could hand the child the real database instead of the guard. */
const DATABASE_VARS =
  /^(PG(HOST|HOSTADDR|PORT|USER|PASSWORD|DATABASE|SERVICE|SERVICEFILE|PASSFILE|SSL\w*|OPTIONS))$/;

export function childEnvironment(
  upstreamUrl: string,
  own: Record<string, string>,
  hiddenUrls: readonly string[] = [],
): NodeJS.ProcessEnv {
  const urls = [upstreamUrl, ...hiddenUrls];
  const secrets = urls.map((u) => decodeURIComponent(new URL(u).password)).filter(Boolean);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || DATABASE_VARS.test(k)) continue;
    // Any variable carrying the real URL or password (DATABASE_URL, a framework's own) is left out.
    if (urls.some((u) => v.includes(u)) || secrets.some((p) => v.includes(p))) continue;
    env[k] = v;
  }
  return { ...env, ...own };
}

/**
 * Runs `argv` behind the guard and reports every statement it ran.
 *
 * @example
 * ```ts
 * import { runGuardedCommand } from 'pgward';
 * const res = await runGuardedCommand({
 *   upstreamUrl: process.env.DATABASE_URL!, settings: { lock_timeout: '5s' },
 *   inspector: { inspect: async (sql) => ({ action: 'forward', statements: [sql], warnings: [] }) },
 *   argv: ['psql', '-c', 'select 1'], cwd: '.', env: (g) => ({ DATABASE_URL: g.url }), timeoutMs: null,
 * });
 * console.log(res.exitCode, res.statements.length);
 * ```
 */
export async function runGuardedCommand(opts: GuardedCommandOptions): Promise<GuardedCommandResult> {
  const statements: StatementRecord[] = [];
  const guard = await startGuard({
    upstreamUrl: opts.upstreamUrl,
    settings: opts.settings,
    inspector: opts.inspector,
    onStatement: (r) => {
      statements.push(r);
      opts.onStatement?.(r);
    },
  });
  const started = Date.now();
  try {
    const outcome = await runChild(opts, guard);
    return { ...outcome, statements, sessions: guard.sessionsOpened(), durationMs: Date.now() - started };
  } finally {
    await guard.close();
  }
}

type ChildOutcome = Pick<
  GuardedCommandResult,
  'exitCode' | 'signal' | 'timedOut' | 'interrupted' | 'stderrTail'
>;

function runChild(opts: GuardedCommandOptions, guard: Guard): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.argv[0]!, opts.argv.slice(1), {
      cwd: opts.cwd,
      env: childEnvironment(opts.upstreamUrl, opts.env(guard), opts.hiddenUrls),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const out = (chunk: Buffer) => (opts.onOutput ? opts.onOutput(chunk) : process.stderr.write(chunk));
    child.stdout.on('data', out);
    child.stderr.on('data', (chunk: Buffer) => {
      out(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    });
    let timedOut = false;
    let interrupted = false;
    // The cancel is awaited before the run reports its end: a caller that exits at once (the CLI on an
    // interrupt) must not leave the statement running on the server after its client has gone.
    let stopping: Promise<void> = Promise.resolve();
    const stop = () => {
      stopping = stopRun(opts.upstreamUrl, guard, child);
    };
    const timer =
      opts.timeoutMs === null
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop();
          }, opts.timeoutMs);
    const onAbort = () => {
      interrupted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new PgwardError(`cannot run ${opts.argv[0]}: ${err.code === 'ENOENT' ? 'not found' : err.message}`, {
          hint: 'install it, or set migrations.command in pgward.yaml to the command that runs your migrations',
        }),
      );
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      void stopping.then(() =>
        resolve({ exitCode, signal, timedOut, interrupted, stderrTail: redact(tail) }),
      );
    });
  });
}

/** Cancel what runs now (the framework then rolls back and exits); past the grace, terminate and kill. */
function stopRun(url: string, guard: Guard, child: ReturnType<typeof spawn>): Promise<void> {
  const cancelled = signalBackends(url, 'cancel', guard.upstreamPids());
  child.kill('SIGTERM');
  const hard = setTimeout(() => {
    void signalBackends(url, 'terminate', guard.upstreamPids());
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, KILL_GRACE_MS);
  hard.unref();
  child.once('close', () => clearTimeout(hard));
  return cancelled;
}
