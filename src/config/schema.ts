// The core of pgward.yaml: migrations, environments and their policy, which every command reads.
// Each capability owns the schema of its own section (backups:, masking:, rehearsal:, serve:, an
// environment's doctor: and schedule:); src/project/schema.ts assembles the whole file. Kept apart so
// this low layer never imports a capability (that was a folder cycle). Unknown keys are errors there:
// a typo in a safety setting must never be ignored.
import { z } from 'zod';
import { parseDuration } from './duration.js';

import { FRAMEWORKS } from './frameworks.js';

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

/** The fields of an environment every command understands; capability fields are added in src/project/schema.ts. */
export const environmentFields = {
  url: z.string().min(1),
  protected: z.boolean().optional(),
  policy: policySchema.optional(),
};

export const migrationsSchema = z
  .object({
    dir: z.string().min(1).optional(),
    framework: z.enum([...FRAMEWORKS, 'auto']).optional(),
    table: z.string().min(1).optional(),
  })
  .strict();

export type RawPolicy = z.infer<typeof policySchema>;
export type RawMigrations = z.infer<typeof migrationsSchema>;

/** An environment as the core reads it; its other keys belong to capabilities (validated at load). */
export interface CoreEnvironment {
  url: string;
  protected?: boolean | undefined;
  policy?: RawPolicy | undefined;
  [capabilityKey: string]: unknown;
}

/**
 * pgward.yaml as the core reads it. The whole file was validated against src/project/schema.ts when
 * loaded; a capability reads its own section (e.g. `raw.backups`) with its own schema's type.
 */
export interface CoreConfig {
  migrations?: RawMigrations | undefined;
  default_env?: string | undefined;
  environments?: Record<string, CoreEnvironment> | undefined;
  [section: string]: unknown;
}
