// startServe: the refresh loop, the scheduler and the HTTP server of one environment, and a close()
// that shuts them down in order (stop accepting, cancel and await running jobs, end connections).
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadedConfig } from '../config/load.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { thresholdsFor } from '../doctor/doctor.js';
import { PgwardError } from '../errors.js';
import { Alerter, type Logger } from './alerts.js';
import type { ServeSettings } from './config.js';
import { createHttpServer } from './http.js';
import { Monitor } from './monitor.js';
import { Scheduler } from './scheduler.js';

export interface ServeOptions {
  config: LoadedConfig | undefined;
  target: Target;
  source: MigrationsSource | undefined;
  settings: ServeSettings;
  /** Run the environment's schedule (default true). */
  scheduler?: boolean;
  log?: Logger;
}

export interface ServeHandle {
  url: string;
  port: number;
  monitor: Monitor;
  scheduler: Scheduler | undefined;
  close(): Promise<void>;
}

/**
 * What `pgward serve` does: /health and /metrics over HTTP, and the environment's scheduled jobs.
 *
 * @example
 * ```ts
 * import { resolveProject, serveSettings, startServe } from 'pgward';
 * const { config, target, source } = await resolveProject({ url: process.env.DATABASE_URL });
 * const handle = await startServe({ config, target, source, settings: serveSettings(config) });
 * console.log(handle.url);
 * await handle.close();
 * ```
 */
export async function startServe(o: ServeOptions): Promise<ServeHandle> {
  const log = o.log ?? (() => {});
  const env = o.target.env ?? 'default';
  const target = { ...o.target, env };
  const alerter = new Alerter(env, o.settings.webhookUrl, log);
  const schedule = o.target.env ? o.config?.raw.environments?.[o.target.env]?.schedule : undefined;
  let monitor: Monitor | undefined;
  const scheduler =
    o.scheduler === false
      ? undefined
      : new Scheduler({
          env,
          schedule,
          config: o.config,
          context: { config: o.config, target: o.target, source: o.source },
          alerter,
          log,
          onRun: () => monitor?.kick(),
          hint: () => monitor?.keptClient(),
          leaseMs: o.settings.jobLeaseMs,
          refreshMs: o.settings.refreshMs,
          retention: { keepDays: o.settings.historyKeepDays, keepRuns: o.settings.historyKeepRuns },
        });
  monitor = new Monitor({
    target,
    source: o.source,
    config: o.config,
    thresholds: thresholdsFor(o.config, o.target.env),
    settings: o.settings,
    alerter,
    scheduler,
    log,
    label: o.target.env ? o.config?.raw.environments?.[o.target.env]?.label : undefined,
  });
  await monitor.start();
  const server = createHttpServer(() => monitor.rendered, o.settings.token, {
    pageSize: o.settings.dashboardPageSize,
  });
  await listen(server, o.settings).catch(async (err) => {
    await monitor.stop();
    throw err;
  });
  scheduler?.start();
  const port = (server.address() as AddressInfo).port;
  const host = o.settings.bind.includes(':') ? `[${o.settings.bind}]` : o.settings.bind;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    monitor,
    scheduler,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Keep-alive clients in the middle of nothing get 5 s to finish before they are cut.
        const force = setTimeout(() => server.closeAllConnections(), 5_000);
        await scheduler?.stop();
        await monitor.stop();
        await closed;
        clearTimeout(force);
      })();
      return closing;
    },
  };
}

/** Listens on the configured address; a port in use (or any other refusal) is one clear line. */
export function listen(server: http.Server, settings: ServeSettings): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new PgwardError(`cannot listen on ${settings.bind}:${settings.port}: ${err.code ?? err.message}`, {
          hint: err.code === 'EADDRINUSE' ? 'another process uses this port: pass --port' : undefined,
        }),
      ),
    );
    server.listen(settings.port, settings.bind, () => resolve());
  });
}
