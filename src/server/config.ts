// The top-level `serve:` section of pgward.yaml and its resolution (flags > config > defaults).
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { interpolate } from '../config/interpolate.js';
import type { LoadedConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';

const duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  try {
    if (parseDuration(v) === null) ctx.addIssue({ code: 'custom', message: 'must not be 0/off' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const serveSchema = z
  .object({
    /** Address to listen on (default 127.0.0.1: expose it on purpose, behind a token or a proxy). */
    bind: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65_535).optional(),
    /** How often the figures are refreshed from the database (default 15s). */
    refresh_interval: duration.optional(),
    /** Name of the environment variable holding the bearer token (default PGWARD_SERVE_TOKEN). */
    token_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** Webhook called on alerts: generic JSON POST with a Slack-compatible `text` field. ${VAR} allowed. */
    webhook_url: z.string().min(1).optional(),
    alerts: z
      .object({
        /** Alert when a migration has been pending longer than this (default 15min). */
        pending_migrations_after: duration.optional(),
        /** Alert when the newest backup is older than this (default 26h). */
        backup_max_age: duration.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RawServe = z.infer<typeof serveSchema>;

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
  const token = penv[tokenEnv] || undefined;
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
  };
}
