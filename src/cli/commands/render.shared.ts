// The Render settings of the selected environment (deploy.render in pgward.yaml), or the bare
// environment (RENDER_API_KEY, --service) when there is no config or no deploy block.
import type { RawDeploy } from '../../config/sections/deploy.js';
import { UsageError } from '../../errors.js';
import { type RenderDeployConfig, renderApiKey, renderPollOverride } from '../../platform/index.js';
import { RenderClient } from '../../platform/render/client.js';
import type { Context } from '../context.js';

export interface RenderEnv {
  envName: string | undefined;
  config: RenderDeployConfig | undefined;
  client: RenderClient;
}

/** The environment name: --env, PGWARD_ENV, default_env, or the only one (no URL needed). */
export function selectedEnv(ctx: Context): string | undefined {
  const envs = ctx.config?.raw.environments ?? {};
  const names = Object.keys(envs);
  const name =
    ctx.flags.env ??
    process.env.PGWARD_ENV ??
    ctx.config?.raw.default_env ??
    (names.length === 1 ? names[0] : undefined);
  if (name && ctx.config && !envs[name])
    throw new UsageError(
      `unknown environment "${name}" in pgward.yaml`,
      names.length ? `known environments: ${names.join(', ')}` : undefined,
    );
  return name;
}

export function renderEnv(ctx: Context, services?: string[]): RenderEnv {
  const envName = selectedEnv(ctx);
  const env = envName
    ? (ctx.config?.raw.environments?.[envName] as { deploy?: RawDeploy } | undefined)
    : undefined;
  const config = env?.deploy?.render;
  const effective: RenderDeployConfig = config ?? { services: services?.length ? services : ['srv-none'] };
  if (!config && !services?.length)
    throw new UsageError(
      `no Render service: environment ${envName ?? '(none)'} has no deploy.render block`,
      'pass --service srv-… or add deploy: { provider: render, render: { services: [srv-…] } } to the environment in pgward.yaml',
    );
  const client = new RenderClient({
    ...renderPollOverride(),
    apiKey: renderApiKey(effective),
    ...(effective.api_url ? { apiUrl: effective.api_url } : {}),
    ...(effective.api_key_env ? { apiKeyEnv: effective.api_key_env } : {}),
  });
  return { envName, config, client };
}
