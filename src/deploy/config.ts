// The `deploy:` block of an environment (schema: src/config/sections/deploy.ts) resolved into settings,
// with the defaults docs/deploy.md states.
import { parseDuration } from '../config/duration.js';
import { interpolate } from '../config/interpolate.js';
import type { LoadedConfig } from '../config/load.js';
import type { RawDeploy } from '../config/sections/deploy.js';
import { UsageError } from '../errors.js';
import { registerSecret } from '../redact.js';

export interface VerifySettings {
  /** Unset: no health check (the report says so). */
  healthUrl: string | undefined;
  checks: number;
  intervalMs: number;
  timeoutMs: number;
  /** Percent of 5xx responses above which the deploy fails. */
  errorThreshold: number;
  windowMs: number;
  minRequests: number;
}

export interface DeploySettings {
  env: string;
  raw: RawDeploy;
  verify: VerifySettings;
  /** Unset: no rehearsal in preflight. */
  rehearseBudgetMs: number | undefined;
  /** What `deploy rollback` suggests for the database when migrations were not backward compatible. */
  rollbackDatabase: 'down' | 'restore';
  /** serve.webhook_url, when configured: the deploy posts its outcome there. */
  webhookUrl: string | undefined;
}

const ms = (v: string | number | undefined, fallback: number): number =>
  v === undefined ? fallback : (parseDuration(v) ?? 0);

/** deploy.verify with the defaults docs/deploy.md states (3 answers in a row every 5 s within 5 min; 1 % over 5 min, ≥ 100 requests). */
export function verifySettingsOf(raw: RawDeploy | undefined): VerifySettings {
  const v = raw?.verify ?? {};
  return {
    healthUrl: v.health_url,
    checks: v.checks ?? 3,
    intervalMs: ms(v.interval, 5_000),
    timeoutMs: ms(v.timeout, 300_000),
    errorThreshold: v.error_threshold ?? 1,
    windowMs: ms(v.window, 300_000),
    minRequests: v.min_requests ?? 100,
  };
}

/** The deploy settings of one environment; a UsageError naming the key when there is no deploy: block. */
export function deploySettings(config: LoadedConfig | undefined, env: string | undefined): DeploySettings {
  if (!env)
    throw new UsageError(
      'pgward deploy needs an environment (--env <name>)',
      'deploys are configured per environment: environments.<name>.deploy in pgward.yaml',
    );
  const raw = config?.raw.environments?.[env]?.deploy;
  if (!raw)
    throw new UsageError(
      `environment ${env} has no deploy: block in ${config?.path ?? 'pgward.yaml'}`,
      `add environments.${env}.deploy (provider: command or render); see docs/deploy.md`,
    );
  const webhook = webhookOf(config);
  return {
    env,
    raw,
    verify: verifySettingsOf(raw),
    rehearseBudgetMs:
      raw.rehearse_budget === undefined ? undefined : (parseDuration(raw.rehearse_budget) ?? undefined),
    rollbackDatabase: raw.rollback_database ?? 'down',
    webhookUrl: webhook,
  };
}

/** serve.webhook_url (with ${VAR}), its path registered as a secret as serve does (Slack paths are keys). */
function webhookOf(config: LoadedConfig | undefined): string | undefined {
  const raw = config?.raw.serve?.webhook_url;
  if (!raw) return undefined;
  let url: string;
  try {
    url = interpolate(raw);
  } catch {
    return undefined;
  }
  if (!/^https?:\/\//.test(url)) return undefined;
  registerSecret(new URL(url).pathname.slice(1) || undefined);
  return url;
}

/** Variable names that hold secrets by convention (FLY_API_TOKEN, HEROKU_API_KEY, AWS_SECRET_ACCESS_KEY…). */
const SECRET_NAME = /(^|_)(API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)($|_)/i;

/**
 * A deploy runs platform commands that see the whole environment and may print it: every value of a
 * variable named like a secret (and the Render key variable the config names) is masked wherever pgward
 * prints or journals it.
 */
export function registerEnvironmentSecrets(raw: RawDeploy, env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(env)) {
    if (value && (SECRET_NAME.test(name) || name === (raw.render?.api_key_env ?? 'RENDER_API_KEY')))
      registerSecret(value);
  }
}
