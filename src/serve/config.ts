// The top-level `serve:` section of pgward.yaml and its resolution (flags > config > defaults).
import { parseDuration } from '../config/duration.js';
import { interpolate } from '../config/interpolate.js';
import type { LoadedConfig } from '../config/load.js';
import type { RawServe } from '../config/sections/serve.js';
import { UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';

export { type RawServe, serveSchema } from '../config/sections/serve.js';

export interface ServeSettings {
  bind: string;
  port: number;
  refreshMs: number;
  /** Bearer token required for /metrics and the detailed health; undefined = open. */
  token: string | undefined;
  tokenEnv: string;
  webhookUrl: string | undefined;
  pendingAlertMs: number;
  backupMaxAgeMs: number;
  /** Lease of a running job (renewed every third of it by the replica running it). */
  jobLeaseMs: number;
  historyKeepDays: number;
  historyKeepRuns: number;
  /** Rows per page of the dashboard's long lists. */
  dashboardPageSize: number;
  /** Job runs read for the dashboard at each refresh (newest first). */
  dashboardJobRuns: number;
  /** Serving several environments: refreshes (and housekeeping sweeps) running at once, at most. */
  refreshConcurrency: number;
  /** Serving several environments: connections kept open between refreshes, per database server. */
  connectionsPerServer: number;
  /** Serving several environments: scheduled jobs running at once in this replica, at most. */
  jobConcurrency: number;
}

/** A lease shorter than this would be renewed more often than a round trip to a distant server allows. */
const MIN_LEASE_MS = 1_000;

/** Shorter bearer tokens are refused: they can be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The bearer token, failing closed: a token that was asked for (token_env configured, or the variable
 * present in the environment) but is missing, empty or short refuses to start rather than serve open.
 * Only when nothing asks for a token (no token_env, default variable absent) does serve run open.
 */
function resolveToken(tokenEnv: string, configured: boolean, penv: NodeJS.ProcessEnv): string | undefined {
  const value = penv[tokenEnv];
  if (value === undefined && !configured) return undefined;
  if (value === undefined || value.trim() === '')
    throw new UsageError(
      `serve.token_env: ${tokenEnv} is ${value === undefined ? 'not set' : 'empty'}, so serve would run without a token`,
      `export ${tokenEnv}=<at least ${MIN_TOKEN_LENGTH} random characters> (e.g. openssl rand -hex 24)`,
    );
  if (value.trim().length < MIN_TOKEN_LENGTH)
    throw new UsageError(
      `serve.token_env: the token in ${tokenEnv} is shorter than ${MIN_TOKEN_LENGTH} characters`,
      `use at least ${MIN_TOKEN_LENGTH} random characters (e.g. openssl rand -hex 24)`,
    );
  return value.trim();
}

function jobLease(config: LoadedConfig | undefined, raw: RawServe): number {
  const ms = parseDuration(raw.jobs?.lease ?? '60s') ?? 60_000;
  if (ms < MIN_LEASE_MS) {
    const line = config?.lineOf(['serve', 'jobs', 'lease']);
    throw new UsageError(
      `${config ? `${config.path}:${line ?? '?'}: ` : ''}serve.jobs.lease must be at least 1s`,
      'e.g. 60s: a replica that stops renewing it for that long loses its running job',
    );
  }
  return ms;
}

export interface ServeFlags {
  bind?: string;
  port?: number;
  refresh?: string;
  webhook?: string;
}

/**
 * The `serve:` section of pgward.yaml with its defaults (flags as `pgward serve` takes them).
 *
 * @example
 * ```ts
 * import { serveSettings } from 'pgward';
 * const settings = serveSettings(undefined, { port: 9187 });
 * ```
 */
export function serveSettings(
  config: LoadedConfig | undefined,
  flags: ServeFlags = {},
  penv: NodeJS.ProcessEnv = process.env,
): ServeSettings {
  const raw = (config?.raw as { serve?: RawServe } | undefined)?.serve ?? {};
  let refreshMs: number;
  try {
    refreshMs = parseDuration(flags.refresh ?? raw.refresh_interval ?? '15s') ?? 15_000;
  } catch (err) {
    throw new UsageError(`--refresh: ${(err as Error).message}`);
  }
  const tokenEnv = raw.token_env ?? 'PGWARD_SERVE_TOKEN';
  const token = resolveToken(tokenEnv, raw.token_env !== undefined, penv);
  registerSecret(token);
  let webhookUrl = flags.webhook ?? raw.webhook_url;
  if (webhookUrl) {
    webhookUrl = interpolate(webhookUrl, penv);
    if (!/^https?:\/\//.test(webhookUrl)) throw new UsageError('serve.webhook_url must be an http(s) URL');
    // Slack webhook paths are secrets: keep them out of logs.
    registerSecret(new URL(webhookUrl).pathname.slice(1) || undefined);
  }
  const port = flags.port ?? raw.port ?? 9188;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError('--port must be 0..65535');
  return {
    bind: flags.bind ?? raw.bind ?? '127.0.0.1',
    port,
    refreshMs,
    token,
    tokenEnv,
    webhookUrl,
    pendingAlertMs: parseDuration(raw.alerts?.pending_migrations_after ?? '15min') ?? 900_000,
    backupMaxAgeMs: parseDuration(raw.alerts?.backup_max_age ?? '26h') ?? 93_600_000,
    jobLeaseMs: jobLease(config, raw),
    historyKeepDays: raw.jobs?.keep_days ?? 90,
    historyKeepRuns: raw.jobs?.keep_runs ?? 1000,
    dashboardPageSize: raw.dashboard?.page_size ?? 50,
    dashboardJobRuns: raw.dashboard?.job_runs ?? 10_000,
    refreshConcurrency: raw.refresh_concurrency ?? 8,
    connectionsPerServer: raw.connections_per_server ?? 10,
    jobConcurrency: raw.jobs?.concurrency ?? 4,
  };
}
