// `pgward serve --all`: every environment of pgward.yaml from one process (src/serve/fleet.ts).
import { resolveTarget } from '../../config/target.js';
import { withClient } from '../../db/connect.js';
import { Limiter } from '../../db/limit.js';
import { ExitCode, UsageError } from '../../errors.js';
import { formatDuration, MS } from '../../format/units.js';
import { identifyForWrite } from '../../identity/identify.js';
import type { ServeSettings } from '../../serve/config.js';
import { type FleetEnvironment, startFleet } from '../../serve/fleet.js';
import type { Context } from '../context.js';
import type { ServeCliFlags } from './serve.js';

export async function serveFleet(
  ctx: Context,
  flags: ServeCliFlags,
  settings: ServeSettings,
  source: ReturnType<Context['migrations']> | undefined,
  log: (line: string) => void,
): Promise<number> {
  const names = Object.keys(ctx.config?.raw.environments ?? {});
  if (!ctx.config || names.length === 0)
    throw new UsageError(
      'serve --all: no environments in pgward.yaml',
      'add environments, or serve one with --env',
    );
  if (ctx.flags.env || ctx.flags.url)
    throw new UsageError('serve --all serves every environment: leave out --env and --url');
  // Each environment is identified (and stamped) as `serve --env` does, within the refresh limit.
  const limit = new Limiter(settings.refreshConcurrency);
  const environments: FleetEnvironment[] = await Promise.all(
    names.map(async (env) => {
      const named = resolveTarget({ config: ctx.config, env });
      const target = await limit
        .run(() => withClient(named.url, (c) => identifyForWrite(c, named, { config: ctx.config })))
        .catch(() => named);
      return { target: { ...target, env }, source };
    }),
  );
  const fleet = await startFleet({
    config: ctx.config,
    environments,
    settings,
    scheduler: flags.scheduler !== false,
    log,
  });
  const jobs = fleet.members.reduce((n, m) => n + (m.scheduler?.jobs.length ?? 0), 0);
  log(
    `pgward serve --all: ${names.length} environments, listening on ${fleet.url} (refresh ${formatDuration(settings.refreshMs, MS)}, at most ${settings.refreshConcurrency} at once, ${settings.connectionsPerServer} connection(s) kept per server; ${jobs} scheduled jobs, at most ${settings.jobConcurrency} running at once; ${
      settings.token ? `token from ${settings.tokenEnv} required for /metrics and details` : 'no token'
    })`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log(`${signal}: shutting down (running jobs are cancelled)`);
  process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  await fleet.close();
  log('stopped');
  return ExitCode.ok;
}
