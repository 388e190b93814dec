// Resolves which database a command talks to and with which policy: --url, --env, PGWARD_ENV,
// default_env, the only environment, or DATABASE_URL when there is no config at all.
import { relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';
import { parseDuration } from './duration.js';
import type { FrameworkLayout } from './frameworks.js';
import { interpolate, MissingVariableError } from './interpolate.js';
import type { LoadedConfig } from './load.js';
import type { FrameworkName, RawPolicy } from './schema.js';

export interface Policy {
  /** statement_timeout applied to every migration statement (ms), null = none. */
  statementTimeoutMs: number | null;
  /** lock_timeout applied to every migration statement (ms), null = none. */
  lockTimeoutMs: number | null;
  /** How many times a migration that hit lock_timeout (55P03) is retried, with backoff. */
  lockRetries: number;
  /** Wall-clock limit for one migration; past it the statement is cancelled and the migration rolled back. */
  migrationTimeoutMs: number | null;
  /** Delay before the first lock-timeout retry (doubles each time, capped at 30 s). */
  lockRetryBackoffMs: number;
  /** lock_timeout for CONCURRENTLY index statements (they wait for every older transaction to end). */
  concurrentLockTimeoutMs: number | null;
  destructive: GateMode;
  blocking: GateMode;
  pauseSeconds: number;
  backupBeforeMigrate: boolean;
}

export type GateMode = 'block' | 'warn' | 'allow';

/** What sits in front of a URL (pgward.yaml `pooler:`): auto = detect; transaction = refuse session work. */
export type PoolerSetting = 'auto' | 'none' | 'session' | 'transaction';

export interface Target {
  /** Environment name, or undefined for a bare --url / DATABASE_URL. */
  env: string | undefined;
  /** The URL pgward connects to: the environment's direct_url when it has one, else its url. */
  url: string;
  /** What is in front of `url` (default auto); `none` when it is a configured direct_url. */
  pooler?: PoolerSetting;
  /** The environment's pooled `url` when pgward connects through its direct_url instead. */
  pooledUrl?: string;
  protected: boolean;
  policy: Policy;
}

export interface MigrationsSource {
  dir: string;
  framework: FrameworkName | 'auto';
  /** Tracking table override for a foreign framework. */
  table: string | undefined;
  /**
   * Where `dir` came from: --dir, migrations.dir, the db/migrations default, or the project's own files
   * (src/frameworks/locate.ts). Unset = given explicitly (a library caller's own source).
   */
  origin?: 'flag' | 'config' | 'default' | 'discovered';
  /** The project folder the source was resolved from (pgward.yaml's folder, else the working directory). */
  root?: string;
  /** The layout discovery found, when the source came from it. */
  layout?: FrameworkLayout;
}

const PROTECTED_NAMES = new Set(['production', 'prod']);

/** Protected when pgward.yaml says so, or, when it says nothing, when the name is production or prod. */
export function isProtectedEnvironment(name: string, explicit: boolean | undefined): boolean {
  return explicit ?? PROTECTED_NAMES.has(name);
}

/** An environment's protection and policy from pgward.yaml (no URL needed): used when identity matches it. */
export function environmentPolicy(
  config: LoadedConfig | undefined,
  name: string,
): { protected: boolean; policy: Policy } | undefined {
  const env = config?.raw.environments?.[name];
  if (!env) return undefined;
  const isProtected = isProtectedEnvironment(name, env.protected);
  return { protected: isProtected, policy: resolvePolicy(env.policy, isProtected) };
}

/**
 * The policy an environment gets when pgward.yaml says nothing (protected: production-like).
 *
 * @example
 * ```ts
 * import { defaultPolicy } from 'pgward';
 * console.log(defaultPolicy(true).destructive); // 'block'
 * ```
 */
export function defaultPolicy(isProtected: boolean): Policy {
  // The seed teams settled on 10 min in production and 5 min elsewhere; a 5 s lock_timeout keeps a
  // migration from queueing every query behind its ACCESS EXCLUSIVE request.
  // Protected environments block destructive changes until approved and back up first; others warn
  // and pause so a human can still hit Ctrl-C.
  const limit = isProtected ? 600_000 : 300_000;
  return {
    statementTimeoutMs: limit,
    lockTimeoutMs: 5_000,
    lockRetries: 3,
    migrationTimeoutMs: limit,
    lockRetryBackoffMs: 1_000,
    concurrentLockTimeoutMs: 60_000,
    destructive: isProtected ? 'block' : 'warn',
    blocking: 'warn',
    pauseSeconds: isProtected ? 0 : 10,
    backupBeforeMigrate: isProtected,
  };
}

export function resolvePolicy(raw: RawPolicy | undefined, isProtected: boolean): Policy {
  const base = defaultPolicy(isProtected);
  if (!raw) return base;
  return {
    statementTimeoutMs:
      raw.statement_timeout !== undefined ? parseDuration(raw.statement_timeout) : base.statementTimeoutMs,
    lockTimeoutMs: raw.lock_timeout !== undefined ? parseDuration(raw.lock_timeout) : base.lockTimeoutMs,
    lockRetries: raw.lock_retries ?? base.lockRetries,
    migrationTimeoutMs:
      raw.migration_timeout !== undefined ? parseDuration(raw.migration_timeout) : base.migrationTimeoutMs,
    lockRetryBackoffMs:
      raw.lock_retry_backoff !== undefined
        ? (parseDuration(raw.lock_retry_backoff) ?? 0)
        : base.lockRetryBackoffMs,
    concurrentLockTimeoutMs:
      raw.concurrent_lock_timeout !== undefined
        ? parseDuration(raw.concurrent_lock_timeout)
        : base.concurrentLockTimeoutMs,
    destructive: raw.destructive ?? base.destructive,
    blocking: raw.blocking ?? base.blocking,
    pauseSeconds: raw.pause_seconds ?? base.pauseSeconds,
    backupBeforeMigrate: raw.backup_before_migrate ?? base.backupBeforeMigrate,
  };
}

export interface TargetOptions {
  config?: LoadedConfig | undefined;
  env?: string | undefined;
  url?: string | undefined;
  processEnv?: NodeJS.ProcessEnv;
}

/**
 * The database and policy a command works on: url, env, PGWARD_ENV, default_env, the only environment, or DATABASE_URL.
 *
 * @example
 * ```ts
 * import { loadConfig, resolveTarget } from 'pgward';
 * const target = resolveTarget({ config: loadConfig('pgward.yaml'), env: 'production' });
 * console.log(target.env, target.protected);
 * ```
 */
export function resolveTarget(opts: TargetOptions): Target {
  const penv = opts.processEnv ?? process.env;
  const cfg = opts.config;
  const envs = cfg?.raw.environments ?? {};
  const names = Object.keys(envs);
  let envName = opts.env ?? penv.PGWARD_ENV ?? undefined;
  if (!envName && !opts.url && cfg) {
    envName = cfg.raw.default_env ?? (names.length === 1 ? names[0] : undefined);
  }
  if (envName && !envs[envName]) {
    const where = cfg ? relative(process.cwd(), cfg.path) || cfg.path : 'no pgward.yaml found';
    throw new UsageError(
      `unknown environment "${envName}" (${where})`,
      names.length
        ? `known environments: ${names.join(', ')}`
        : 'add it under `environments:` in pgward.yaml',
    );
  }
  const env = envName ? envs[envName] : undefined;
  const isProtected = envName ? isProtectedEnvironment(envName, env?.protected) : false;
  let url = opts.url;
  let pooledUrl: string | undefined;
  if (!url && env && envName) {
    url = envUrl(cfg, envName, 'url', env.url, penv);
    if (env.direct_url !== undefined) {
      pooledUrl = url;
      url = envUrl(cfg, envName, 'direct_url', env.direct_url, penv);
    }
  }
  if (!url) url = penv.DATABASE_URL;
  if (!url) {
    throw new UsageError(
      names.length
        ? 'no environment selected and no default_env in pgward.yaml'
        : 'no database given: pass --url, set DATABASE_URL, or create pgward.yaml with `pgward init`',
      names.length ? `pass --env ${names.join('|')}` : undefined,
    );
  }
  checkUrl(url);
  registerSecret(penv.PGPASSWORD);
  const target: Target = {
    env: envName,
    url,
    protected: isProtected,
    policy: resolvePolicy(env?.policy, isProtected),
  };
  if (pooledUrl !== undefined) {
    checkUrl(pooledUrl);
    return { ...target, pooledUrl, pooler: 'none' };
  }
  // --url names its own database: the environment's pooler setting is about the environment's url.
  if (env?.pooler && !opts.url) return { ...target, pooler: env.pooler };
  return target;
}

function envUrl(
  cfg: LoadedConfig | undefined,
  envName: string,
  key: 'url' | 'direct_url',
  raw: string,
  penv: NodeJS.ProcessEnv,
): string {
  try {
    return interpolate(raw, penv);
  } catch (err) {
    if (err instanceof MissingVariableError && cfg) {
      const line = cfg.lineOf(['environments', envName, key]);
      throw new UsageError(
        `${relative(process.cwd(), cfg.path) || cfg.path}:${line ?? '?'}: environments.${envName}.${key} uses \${${err.variable}}, which is not set`,
        `export ${err.variable}=... or use \${${err.variable}:-default}`,
      );
    }
    throw err;
  }
}

function checkUrl(url: string): void {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new UsageError(
      'database URL must start with postgres:// or postgresql://',
      'e.g. postgresql://user:password@host:5432/dbname',
    );
  }
  try {
    const u = new URL(url);
    if (u.password) registerSecret(decodeURIComponent(u.password));
  } catch {
    throw new UsageError(
      'database URL is not a valid URL',
      'percent-encode special characters in the password',
    );
  }
}

/**
 * The migrations directory and framework: the flag, else migrations.dir of pgward.yaml, else db/migrations.
 *
 * @example
 * ```ts
 * import { resolveMigrationsSource } from 'pgward';
 * console.log(resolveMigrationsSource(undefined, 'db/migrations').dir);
 * ```
 */
export function resolveMigrationsSource(
  config: LoadedConfig | undefined,
  dirFlag?: string,
  frameworkFlag?: string,
): MigrationsSource {
  const m = config?.raw.migrations;
  const base = config?.baseDir ?? process.cwd();
  const dir = dirFlag ? resolve(dirFlag) : resolve(base, m?.dir ?? 'db/migrations');
  const framework = (frameworkFlag ?? m?.framework ?? 'auto') as FrameworkName | 'auto';
  const origin = dirFlag ? 'flag' : m?.dir !== undefined ? 'config' : 'default';
  return { dir, framework, table: m?.table, origin, root: resolve(base) };
}
