// The `command` provider: any platform driven by shell commands (fly deploy, heroku releases:rollback,
// kubectl rollout, docker compose up -d…). The command's exit code is the outcome; the platform's own
// deploy id is unknown, so pgward's deploy id stands for it. It exposes no request metrics: verification
// relies on the health URL.
import { type ChildProcess, spawn } from 'node:child_process';
import type { RawDeploy } from '../config/sections/deploy.js';
import { exited, stopChild, TailBuffer } from '../pgtools/exec.js';
import { redact } from '../redact.js';
import type {
  DeployProvider,
  PlatformDeployResult,
  PlatformVersion,
  RequestCounts,
  TriggerOptions,
} from './types.js';

type Argv = string | string[];
export type CommandDeployConfig = NonNullable<RawDeploy['command']>;

/** Where the command runs and which variables it gets on top of pgward's own environment. */
export interface CommandRunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A string is run by `sh -c` (pipes, &&); a list is run as is, without a shell. */
function spawnArgv(argv: Argv, o: CommandRunOptions, extra: Record<string, string>): ChildProcess {
  const env = { ...(o.env ?? process.env), ...extra };
  const [program, args] = typeof argv === 'string' ? ['sh', ['-c', argv]] : [argv[0]!, argv.slice(1)];
  return spawn(program, args, { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs one configured command to its end and describes how it ended (stderr tail redacted). */
export async function runPlatformCommand(
  what: string,
  argv: Argv,
  opts: TriggerOptions,
  run: CommandRunOptions,
  extra: Record<string, string> = {},
): Promise<PlatformDeployResult> {
  const started = Date.now();
  const child = spawnArgv(argv, run, { PGWARD_DEPLOY_ID: opts.deployId, ...extra });
  const tail = new TailBuffer(20, (line) => opts.onProgress?.({ status: what, detail: redact(line) }));
  child.stdout?.on('data', (d: Buffer) => tail.push(d));
  child.stderr?.on('data', (d: Buffer) => tail.push(d));
  const stop = () => stopChild(child);
  opts.signal?.addEventListener('abort', stop, { once: true });
  const end = await exited(child).finally(() => opts.signal?.removeEventListener('abort', stop));
  const ok = end.code === 0;
  const how = end.signal
    ? `killed by ${end.signal}`
    : end.code === null
      ? 'could not be started'
      : `exit ${end.code}`;
  const output = tail.text();
  return {
    outcome: ok ? 'live' : opts.signal?.aborted ? 'canceled' : 'failed',
    platformDeployId: opts.deployId,
    detail: ok ? `${what}: exit 0` : `${what}: ${how}${output ? `\n${output}` : ''}`,
    durationMs: Date.now() - started,
  };
}

export class CommandProvider implements DeployProvider {
  readonly kind = 'command' as const;
  /** Runs started by trigger(), awaited by wait(); empty after a crash, which wait() reports. */
  private readonly running = new Map<string, Promise<PlatformDeployResult>>();

  constructor(
    private readonly config: CommandDeployConfig,
    private readonly run: CommandRunOptions = {},
  ) {}

  describe(): string {
    const d = this.config.deploy;
    return `command: ${redact(typeof d === 'string' ? d : d.join(' '))}`;
  }

  async liveDeploy(): Promise<string | null> {
    return null;
  }

  /** A deploy command says nothing about the version it runs: unknown. */
  async liveVersion(): Promise<PlatformVersion | null> {
    return null;
  }

  async trigger(opts: TriggerOptions): Promise<string | null> {
    const extra: Record<string, string> = {};
    if (opts.commit) extra.PGWARD_COMMIT = opts.commit;
    if (opts.image) extra.PGWARD_IMAGE = opts.image;
    this.running.set(
      opts.deployId,
      runPlatformCommand('deploy command', this.config.deploy, opts, this.run, extra),
    );
    return opts.deployId;
  }

  async wait(platformDeployId: string | null, opts: TriggerOptions): Promise<PlatformDeployResult> {
    const run = platformDeployId ? this.running.get(platformDeployId) : undefined;
    if (run) return run.finally(() => this.running.delete(platformDeployId!));
    return {
      outcome: 'failed',
      platformDeployId,
      detail: `the deploy command of ${opts.deployId} was started by an earlier pgward run that stopped; its result is unknown`,
      durationMs: 0,
    };
  }

  async rollback(_to: string | null, opts: TriggerOptions): Promise<PlatformDeployResult> {
    if (!this.config.rollback)
      return {
        outcome: 'failed',
        platformDeployId: null,
        detail: 'no deploy.command.rollback in pgward.yaml: put the previous version back by hand',
        durationMs: 0,
      };
    return runPlatformCommand('rollback command', this.config.rollback, opts, this.run);
  }

  async requestCounts(): Promise<RequestCounts | null> {
    return null;
  }

  async setDatabaseUrl(url: string, opts: TriggerOptions): Promise<PlatformDeployResult> {
    if (!this.config.set_database_url)
      return {
        outcome: 'failed',
        platformDeployId: null,
        detail: 'no deploy.command.set_database_url in pgward.yaml: cannot point the app at another database',
        durationMs: 0,
      };
    // The URL goes through the environment, never argv (ps would show it).
    return runPlatformCommand('set_database_url command', this.config.set_database_url, opts, this.run, {
      PGWARD_DATABASE_URL: url,
    });
  }
}
