// `pgward serve --env <name>`: /up, /health, /health/migrations, /metrics, and the environment's
// scheduled jobs, until SIGTERM or SIGINT (graceful: running jobs are cancelled and recorded).
import type { Command } from 'commander';
import { action } from '../context.js';

export interface ServeCliFlags {
  bind?: string;
  port?: number;
  refresh?: string;
  webhook?: string;
  scheduler?: boolean;
  all?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'health and metrics endpoints, scheduled backups/prunes/drills/doctor, alerts (long-running)',
    )
    .option('--bind <address>', 'address to listen on (default: serve.bind or 127.0.0.1)')
    .option('--port <n>', 'port (default: serve.port or 9188; 0 picks a free one)', (v) => Number(v))
    .option('--refresh <duration>', 'refresh interval, e.g. 15s (default: serve.refresh_interval or 15s)')
    .option('--webhook <url>', 'alert webhook (default: serve.webhook_url)')
    .option(
      '--all',
      "every environment of pgward.yaml from this one process (refreshes and jobs within serve's concurrency limits)",
    )
    .option('--no-scheduler', 'serve endpoints only; run no scheduled job')
    .action(action(async (ctx, flags: ServeCliFlags) => (await import('./serve.run.js')).serve(ctx, flags)));
}
