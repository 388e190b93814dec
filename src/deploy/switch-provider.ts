// The platform and the health check `switch` and `promote` use, read from the environment's `deploy:`
// block: the same provider factory and the same verification defaults as `pgward deploy`.

import type { LoadedConfig } from '../config/load.js';
import type { RawDeploy } from '../config/sections/deploy.js';
import { UsageError } from '../errors.js';
import { providerFor } from '../platform/index.js';
import type { DeployProvider } from '../platform/types.js';
import { verifySettingsOf } from './config.js';

export interface VerifySettings {
  healthUrl: string | undefined;
  checks: number;
  intervalMs: number;
  timeoutMs: number;
}

/** The environment's deploy: block, or one clear line saying where to add it. */
export function deployBlock(config: LoadedConfig | undefined, env: string): RawDeploy {
  const d = config?.raw.environments?.[env]?.deploy;
  if (!d)
    throw new UsageError(
      `environment ${env} has no deploy: block in pgward.yaml`,
      'add deploy: { provider: command, command: { deploy: …, set_database_url: … } } or provider: render (docs/deploy.md)',
    );
  return d;
}

export function switchProvider(
  deploy: RawDeploy,
  config: LoadedConfig | undefined,
  env?: string,
): DeployProvider {
  return providerFor(deploy, {
    ...(config ? { cwd: config.baseDir } : {}),
    ...(env ? { envName: env } : {}),
  });
}

/** deploy.verify's health part, with `pgward deploy`'s defaults. */
export function verifySettings(deploy: RawDeploy | undefined): VerifySettings {
  const { healthUrl, checks, intervalMs, timeoutMs } = verifySettingsOf(deploy);
  return { healthUrl, checks, intervalMs, timeoutMs };
}
