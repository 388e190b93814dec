// The shape of pgward.yaml. Unknown keys are errors: a typo in a safety setting must never be ignored.
// Each section's schema is in ./sections/ (the capabilities resolve them into settings): src/config never
// imports a capability, so the whole file is validated here, below everything that reads it.
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { FRAMEWORKS } from './frameworks.js';
import { backupsSchema } from './sections/backups.js';
import { deploySchema } from './sections/deploy.js';
import { doctorSchema, scheduleSchema } from './sections/doctor.js';
import { importSchema } from './sections/import.js';
import { maskingSchema } from './sections/masking.js';
import { neonSchema } from './sections/neon.js';
import { rehearsalSchema } from './sections/rehearsal.js';
import { serveSchema } from './sections/serve.js';

export { FRAMEWORKS, type FrameworkName } from './frameworks.js';

const duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  try {
    parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const policySchema = z
  .object({
    statement_timeout: duration.optional(),
    lock_timeout: duration.optional(),
    lock_retries: z.number().int().min(0).max(100).optional(),
    migration_timeout: duration.optional(),
    lock_retry_backoff: duration.optional(),
    /** lock_timeout for CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY, which wait for old transactions. */
    concurrent_lock_timeout: duration.optional(),
    /** Gate for destructive statements (DROP, TRUNCATE...): block until approved, warn (and pause), or allow. */
    destructive: z.enum(['block', 'warn', 'allow']).optional(),
    /** Gate for statements that hold heavy locks for time proportional to table size. */
    blocking: z.enum(['block', 'warn', 'allow']).optional(),
    /** Seconds to pause (Ctrl-C to abort) after a warning gate, before applying. */
    pause_seconds: z.number().int().min(0).max(3600).optional(),
    /** Take a backup before applying migrations; if it fails, nothing runs. */
    backup_before_migrate: z.boolean().optional(),
  })
  .strict();

export const environmentSchema = z
  .object({
    url: z.string().min(1),
    /** A human label for the environment, shown by the dashboard of `pgward serve` (docs/dashboard.md). */
    label: z.string().min(1).max(200).optional(),
    /**
     * The database's direct (unpooled) URL, when `url` goes through a connection pooler: pgward's own
     * connections use it (the migration lock, dumps and clones need one server session). docs/connections.md.
     */
    direct_url: z.string().min(1).optional(),
    /** What is in front of `url`: auto (detect), none, session, or transaction (refuse session work). */
    pooler: z.enum(['auto', 'none', 'session', 'transaction']).optional(),
    protected: z.boolean().optional(),
    policy: policySchema.optional(),
    /** Doctor threshold overrides (docs/doctor.md). */
    doctor: doctorSchema.optional(),
    /** Cron schedules of the jobs `pgward serve` runs for this environment (docs/serve.md). */
    schedule: scheduleSchema.optional(),
    /** How this environment's app is deployed, verified and rolled back (docs/deploy.md). */
    deploy: deploySchema.optional(),
    /** The Neon project and branch behind this environment, for `--via neon` (docs/neon.md). */
    neon: neonSchema.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    migrations: z
      .object({
        dir: z.string().min(1).optional(),
        framework: z.enum([...FRAMEWORKS, 'auto']).optional(),
        table: z.string().min(1).optional(),
        /** The command that runs another framework's migrations behind the guard (default: the framework's own). */
        command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      })
      .strict()
      .optional(),
    default_env: z.string().min(1).optional(),
    environments: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), environmentSchema).optional(),
    /** Backup storage, retention and restore settings (docs/configuration-backups.md). */
    backups: backupsSchema.optional(),
    /** Masking rules for clones, per target environment or pair (docs/clone.md). */
    masking: maskingSchema.optional(),
    /** Where and within which budget migrations are rehearsed (docs/rehearse.md). */
    rehearsal: rehearsalSchema.optional(),
    /** `pgward serve`: listen address, refresh interval, token, webhook, alert ages (docs/serve.md). */
    serve: serveSchema.optional(),
    /** `pgward import`: target table mapping, JSON Schemas per kind, batch size (docs/import.md). */
    import: importSchema.optional(),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type RawPolicy = z.infer<typeof policySchema>;
