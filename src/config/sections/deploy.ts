// The `deploy:` block of an environment in pgward.yaml (docs/deploy.md): which platform runs the app,
// how a deploy is verified, what happens to the database on a rollback. Kept in src/config so the whole
// file is validated without importing src/deploy or src/platform; src/deploy/config.ts resolves it.
import { z } from 'zod';
import { parseDuration } from '../duration.js';

const duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  try {
    parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const argv = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Render: the REST API (https://api.render.com/v1), the key read from an environment variable. */
export const renderDeploySchema = z
  .object({
    /** The service(s) of this environment: the first is deployed, verified and rolled back; all get DATABASE_URL on `switch`. */
    services: z.array(z.string().regex(/^srv-[a-z0-9]+$/, 'a Render service id (srv-…)')).min(1),
    /** The Render Postgres instance behind this environment (exports, point-in-time recovery, switch). */
    postgres: z
      .string()
      .regex(/^dpg-[a-z0-9-]+$/, 'a Render Postgres id (dpg-…)')
      .optional(),
    /** The environment variable holding the API key (default RENDER_API_KEY). Never the key itself. */
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** The API base URL (default https://api.render.com/v1); a simulator in tests. */
    api_url: z.string().url().optional(),
    /** The environment variable the app reads its database URL from (default DATABASE_URL). */
    database_url_key: z.string().min(1).optional(),
  })
  .strict();

/** Any platform by command: Fly, Heroku, Kubernetes, Compose… */
export const commandDeploySchema = z
  .object({
    /** Deploys the new version; exits 0 once it is running. */
    deploy: argv,
    /** Puts the previous version back; exits 0 once it is running. */
    rollback: argv.optional(),
    /** Points the app at another database: run with PGWARD_DATABASE_URL in its environment (never argv). */
    set_database_url: argv.optional(),
  })
  .strict();

export const verifySchema = z
  .object({
    /** The app's health URL: must answer 2xx `checks` times in a row. */
    health_url: z.string().url().optional(),
    checks: z.number().int().min(1).max(100).optional(),
    interval: duration.optional(),
    /** Longest wait for the health checks to pass. */
    timeout: duration.optional(),
    /** Highest acceptable share of HTTP 5xx responses over the window, in percent (default 1). */
    error_threshold: z.number().min(0).max(100).optional(),
    /** How long the error rate is watched after the deploy is live (default 5min). */
    window: duration.optional(),
    /** Below this many requests in the window the ratio is not judged (too few to mean anything). */
    min_requests: z.number().int().min(0).optional(),
  })
  .strict();

export const deploySchema = z
  .object({
    provider: z.enum(['render', 'command']),
    render: renderDeploySchema.optional(),
    command: commandDeploySchema.optional(),
    verify: verifySchema.optional(),
    /** When a rolled-back deploy's migrations were not backward compatible: run their down sections, or restore the pre-deploy backup (both only with an explicit approval). */
    rollback_database: z.enum(['down', 'restore']).optional(),
    /** Rehearse pending migrations in preflight and stop over this budget (a duration; unset = no rehearsal). */
    rehearse_budget: duration.optional(),
    /** How long `switch` keeps the old database before it may be dropped (default 7d). */
    keep_old_database: duration.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.provider === 'render' && !d.render)
      ctx.addIssue({
        code: 'custom',
        message: 'provider render needs a render: block with services: [srv-…]',
      });
    if (d.provider === 'command' && !d.command)
      ctx.addIssue({
        code: 'custom',
        message: 'provider command needs a command: block with deploy: <command>',
      });
  });

export type RawDeploy = z.infer<typeof deploySchema>;
