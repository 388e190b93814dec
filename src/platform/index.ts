// Which DeployProvider drives an environment's deploy: block (src/config/sections/deploy.ts).
import type { RawDeploy } from '../config/sections/deploy.js';
import { UsageError } from '../errors.js';
import { CommandProvider } from './command.js';
import { RenderProvider, type RenderProviderOptions } from './render/provider.js';
import type { DeployProvider } from './types.js';

export type RenderDeployConfig = NonNullable<RawDeploy['render']>;

export interface ProviderForOptions {
  /** The environment: the Render API key and PGWARD_RENDER_POLL_MS are read from it (default process.env); the command provider's too. */
  env?: Record<string, string | undefined>;
  /** Where the command provider runs its commands (same field as CommandRunOptions). */
  cwd?: string;
  /** Builds the provider of `provider: command` (default: a CommandProvider running in `cwd` with `env`). */
  command?: (config: NonNullable<RawDeploy['command']>) => DeployProvider;
  /** Extra client/poll settings for Render (tests: short poll intervals). */
  render?: Partial<RenderProviderOptions>;
  /** The environment's name, for error lines. */
  envName?: string;
}

/**
 * The Render API key of a render: block: `process.env[api_key_env ?? 'RENDER_API_KEY']`; missing → one clear line.
 *
 * @example
 * ```ts
 * import { renderApiKey } from 'pgward';
 * const key = renderApiKey({ services: ['srv-d0fq3k2dbo4c73b1a2c0'], api_key_env: 'RENDER_API_KEY' });
 * console.log(key.length > 0);
 * ```
 */
export function renderApiKey(
  config: RenderDeployConfig,
  env: Record<string, string | undefined> = process.env,
): string {
  const name = config.api_key_env ?? 'RENDER_API_KEY';
  const key = env[name];
  if (!key?.trim())
    throw new UsageError(
      `the Render API key is missing: environment variable ${name} is not set`,
      `export ${name}=<a Render API key> (Account settings → API keys)${config.api_key_env ? '' : ', or name another variable in deploy.render.api_key_env'}`,
    );
  return key.trim();
}

/**
 * PGWARD_RENDER_POLL_MS (tests, CI against a simulator): every Render poll and retry interval, in ms.
 * Unset: Render's own pacing (deploys polled every 5 s growing to 10 s, other waits every 2 s).
 */
export function renderPollOverride(
  env: Record<string, string | undefined> = process.env,
): Partial<RenderProviderOptions> {
  const ms = Number(env.PGWARD_RENDER_POLL_MS);
  if (!env.PGWARD_RENDER_POLL_MS || !Number.isFinite(ms) || ms <= 0) return {};
  return { pollMs: ms, retryBaseMs: ms, deployPollMs: ms, deployPollMaxMs: ms * 2 };
}

/**
 * A RenderProvider for a render: block (key from its environment variable).
 *
 * @example
 * ```ts
 * import { renderProviderFor } from 'pgward';
 * const render = renderProviderFor({ services: ['srv-d0fq3k2dbo4c73b1a2c0'], postgres: 'dpg-d0fq1b2dbo4c73b1a100-a' });
 * console.log(render.describe(), await render.liveDeploy());
 * ```
 */
export function renderProviderFor(config: RenderDeployConfig, opts: ProviderForOptions = {}): RenderProvider {
  return new RenderProvider({
    ...renderPollOverride(opts.env),
    apiKey: renderApiKey(config, opts.env),
    services: config.services,
    ...(config.postgres ? { postgres: config.postgres } : {}),
    ...(config.api_url ? { apiUrl: config.api_url } : {}),
    ...(config.api_key_env ? { apiKeyEnv: config.api_key_env } : {}),
    ...(config.database_url_key ? { databaseUrlKey: config.database_url_key } : {}),
    ...opts.render,
  });
}

/**
 * The DeployProvider of an environment's deploy: block: Render's REST API, or the configured shell commands.
 *
 * @example
 * ```ts
 * import { providerFor } from 'pgward';
 * const provider = providerFor({ provider: 'render', render: { services: ['srv-d0fq3k2dbo4c73b1a2c0'] } });
 * const id = await provider.trigger({ deployId: 'deploy-1' });
 * console.log((await provider.wait(id, { deployId: 'deploy-1' })).outcome);
 * ```
 */
export function providerFor(deploy: RawDeploy, opts: ProviderForOptions = {}): DeployProvider {
  const where = opts.envName ? ` of environment ${opts.envName}` : '';
  if (deploy.provider === 'render') {
    if (!deploy.render)
      throw new UsageError(
        `deploy${where} has provider render but no render: block`,
        'add render: { services: [srv-…] }',
      );
    return renderProviderFor(deploy.render, opts);
  }
  if (!deploy.command)
    throw new UsageError(
      `deploy${where} has provider command but no command: block`,
      'add command: { deploy: <command> }',
    );
  if (opts.command) return opts.command(deploy.command);
  return new CommandProvider(deploy.command, {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env as NodeJS.ProcessEnv } : {}),
  });
}
