// The platform and the health check `switch` uses, read from the environment's `deploy:` block. A stand-in
// until src/deploy/provider.ts (the deploy pipeline's) is merged: the lead points switch at that one.

import { parseDuration } from '../config/duration.js';
import type { LoadedConfig } from '../config/load.js';
import type { RawDeploy } from '../config/sections/deploy.js';
import { UsageError } from '../errors.js';
import { CommandProvider } from '../platform/command.js';
import type { DeployProvider } from '../platform/types.js';

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

export function switchProvider(deploy: RawDeploy, config: LoadedConfig | undefined): DeployProvider {
  if (deploy.provider === 'command' && deploy.command)
    return new CommandProvider(deploy.command, config ? { cwd: config.baseDir } : {});
  throw new UsageError(`deploy provider ${deploy.provider} is not available to switch in this build`);
}

/** deploy.verify with defaults: 3 answers in a row, every 2 s, within 2 min. */
export function verifySettings(deploy: RawDeploy | undefined): VerifySettings {
  const v = deploy?.verify;
  const ms = (x: string | number | undefined, dflt: number) =>
    x === undefined ? dflt : (parseDuration(x) ?? dflt);
  return {
    healthUrl: v?.health_url,
    checks: v?.checks ?? 3,
    intervalMs: ms(v?.interval, 2_000),
    timeoutMs: ms(v?.timeout, 120_000),
  };
}
