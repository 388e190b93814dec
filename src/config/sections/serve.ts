// The top-level `serve:` section of pgward.yaml (docs/serve.md). Kept in src/config so the whole file
// is validated without importing src/serve; src/serve/config.ts resolves it (flags > config > defaults).
import { z } from 'zod';
import { parseDuration } from '../duration.js';

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
    /** Serving several environments (`pgward serve --all`): refreshes running at once, at most (default 8). */
    refresh_concurrency: z.number().int().min(1).max(256).optional(),
    /**
     * `pgward serve --all`: connections kept open between refreshes, per database server (default 10);
     * the other environments on that server connect for each refresh. 0 keeps none.
     */
    connections_per_server: z.number().int().min(0).max(10_000).optional(),
    /** Name of the environment variable holding the bearer token (default PGWARD_SERVE_TOKEN). */
    token_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** Webhook called on alerts: generic JSON POST with a Slack-compatible `text` field. ${VAR} allowed. */
    webhook_url: z.string().min(1).optional(),
    jobs: z
      .object({
        /** A running job's lease, renewed by its replica; a replica that stops renewing it loses the run (default 60s). */
        lease: duration.optional(),
        /** Serving several environments: scheduled jobs running at once in this replica, at most (default 4). */
        concurrency: z.number().int().min(1).max(256).optional(),
        /** Job history kept: runs newer than this many days (default 90)… */
        keep_days: z.number().int().min(1).optional(),
        /** …and at most this many runs per job (default 1000). */
        keep_runs: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
    dashboard: z
      .object({
        /** Rows per page of the dashboard's long lists (default 50). */
        page_size: z.number().int().min(5).max(1000).optional(),
        /** Job runs the refresh loop reads for the dashboard, newest first (default 10000). */
        job_runs: z.number().int().min(0).max(100_000).optional(),
      })
      .strict()
      .optional(),
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
