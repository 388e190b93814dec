// Implementation of `pgward serve`: logs go to stderr, one line each, redacted.

import { withClient } from '../../db/connect.js';
import { ExitCode } from '../../errors.js';
import { formatDuration, MS } from '../../format/units.js';
import { identifyForWrite } from '../../identity/identify.js';
import { serveSettings } from '../../serve/config.js';
import { startServe } from '../../serve/serve.js';
import type { Context } from '../context.js';
import type { ServeCliFlags } from './serve.js';

export async function serve(ctx: Context, flags: ServeCliFlags): Promise<number> {
  if (flags.all) {
    const settings = serveSettings(ctx.config, flags);
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    let source: ReturnType<Context['migrations']> | undefined;
    try {
      source = ctx.migrations();
    } catch {
      source = undefined;
    }
    return (await import('./serve.run.fleet.js')).serveFleet(ctx, flags, settings, source, log);
  }
  // Its scheduled backups, verifies and migrations are catalogued under the environment the database
  // really is; serving a named environment stamps it (serve writes to the database anyway).
  // serve also starts while the database is down (its health endpoint reports that): then it runs as named.
  const named = ctx.target();
  const target = await withClient(named.url, (c) => identifyForWrite(c, named, { config: ctx.config })).catch(
    () => named,
  );
  const settings = serveSettings(ctx.config, flags);
  let source: ReturnType<Context['migrations']> | undefined;
  try {
    source = ctx.migrations();
  } catch {
    source = undefined;
  }
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const handle = await startServe({
    config: ctx.config,
    target,
    source,
    settings,
    scheduler: flags.scheduler !== false,
    log,
  });
  const jobs = handle.scheduler?.jobs.map((j) => `${j.job} "${j.pattern}"`).join(', ');
  log(
    `pgward serve ${target.env ?? 'database'}: listening on ${handle.url} (refresh ${formatDuration(settings.refreshMs, MS)}, ${
      settings.token ? `token from ${settings.tokenEnv} required for /metrics and details` : 'no token'
    }${settings.webhookUrl ? ', webhook on' : ''}; jobs: ${jobs || 'none'})`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log(`${signal}: shutting down (running jobs are cancelled)`);
  // A second signal exits at once.
  process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  await handle.close();
  log('stopped');
  return ExitCode.ok;
}
