// What every command needs: the parsed global flags, the config (if any), an Output, and a runner
// that turns errors into one clear line and the documented exit code.
import type { Command } from 'commander';
import { findConfig } from '../config/find.js';
import type { LoadedConfig } from '../config/load.js';
import {
  type MigrationsSource,
  resolveMigrationsSource,
  resolveTarget,
  type Target,
} from '../config/target.js';
import { isConnectionLost } from '../db/pg-error.js';
import { ExitCode, PgwardError } from '../errors.js';
import { locateMigrations } from '../frameworks/locate.js';
import { isInterrupted } from '../interrupt.js';
import { redact } from '../redact.js';
import { colorWanted, Output } from './output.js';
import { interruptedExitCode } from './signals.js';

export interface GlobalFlags {
  config?: string;
  env?: string;
  url?: string;
  dir?: string;
  framework?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export class Context {
  readonly flags: GlobalFlags;
  readonly out: Output;
  private loaded: LoadedConfig | undefined | null = null;
  constructor(flags: GlobalFlags) {
    this.flags = flags;
    this.out = new Output({
      json: flags.json === true,
      color: colorWanted(process.stdout, flags.color),
      quiet: flags.quiet === true,
    });
  }
  /**
   * Reads pgward.yaml (--config, PGWARD_CONFIG, or the working directory and its parents). The parser
   * and validator are imported only when there is a file: `--url` runs start faster without them.
   */
  async prepare(): Promise<void> {
    if (this.loaded !== null) return;
    const path = this.flags.config ?? process.env.PGWARD_CONFIG ?? findConfig();
    this.loaded = path ? (await import('../config/load.js')).loadConfig(path) : undefined;
  }
  /** The loaded config (prepare() has run: `action` does it before every command). */
  get config(): LoadedConfig | undefined {
    if (this.loaded === null) throw new Error('Context.prepare() was not awaited');
    return this.loaded;
  }
  /** -v/--verbose, given before or after the command name (commands with nothing more to say ignore it). */
  get verbose(): boolean {
    return this.flags.verbose === true;
  }
  target(): Target {
    return resolveTarget({ config: this.config, env: this.flags.env, url: this.flags.url });
  }
  /** The migrations: --dir, migrations.dir, db/migrations, or the layout the project's files show. */
  migrations(): MigrationsSource {
    return locateMigrations(resolveMigrationsSource(this.config, this.flags.dir, this.flags.framework));
  }
}

/** Wraps a command action: builds the Context, runs it, maps the outcome to an exit code. */
export function action<A extends unknown[]>(
  fn: (ctx: Context, ...args: A) => Promise<number | undefined>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const flags = cmd.optsWithGlobals() as GlobalFlags;
    const ctx = new Context(flags);
    let code: number;
    try {
      await ctx.prepare();
      code = (await fn(ctx, ...(args.slice(0, -1) as A))) ?? ExitCode.ok;
    } catch (err) {
      code = reportError(ctx, err);
    }
    // An interrupted run ends 130/143 whatever failure the interrupt caused on its way out, and
    // exits now: the cleanup has run, nothing of the run may linger (an idle socket, a timer).
    const interrupted = interruptedExitCode();
    if (interrupted) process.exit(interrupted);
    process.exitCode = code;
  };
}

export function reportError(ctx: Context, err: unknown): number {
  if (err instanceof PgwardError) {
    // An interrupt's code depends on the signal (130 SIGINT, 143 SIGTERM), known only here.
    const exitCode = isInterrupted(err) ? (interruptedExitCode() ?? err.exitCode) : err.exitCode;
    ctx.out.error(err.message, err.hint, err.details);
    if (ctx.out.json) {
      ctx.out.document({
        ok: false,
        error: { message: err.message, hint: err.hint ?? null, details: err.details, exitCode },
      });
    }
    return exitCode;
  }
  const e = err as Error;
  if (isConnectionLost(err)) {
    // Not a bug: the network or the server. What committed is recorded, nothing else (docs/connections.md).
    const message = `the connection to the database was lost: ${redact(e.message ?? String(err))}`;
    const hint =
      'nothing that did not commit is recorded as done; check the network and the server, then run the command again';
    ctx.out.error(message, hint);
    if (ctx.out.json) ctx.out.document({ ok: false, error: { message, hint, exitCode: ExitCode.runtime } });
    return ExitCode.runtime;
  }
  ctx.out.error(`unexpected failure: ${e?.message ?? String(err)}`, 'set PGWARD_DEBUG=1 for a stack trace');
  if (process.env.PGWARD_DEBUG) process.stderr.write(`${redact(e?.stack ?? '')}\n`);
  if (ctx.out.json)
    ctx.out.document({ ok: false, error: { message: e?.message ?? String(err), exitCode: 1 } });
  return ExitCode.runtime;
}
