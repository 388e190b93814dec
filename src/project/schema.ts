// The whole of pgward.yaml: the core (src/config/schema.ts) plus every capability's own section.
// This is the one place that knows every capability's settings, so it sits above them all (only the
// CLI and the library entry import it). Unknown keys are errors: a typo in a safety setting must never
// be ignored.
import { z } from 'zod';
import { backupsSchema } from '../backup/config.js';
import { maskingSchema } from '../clone/config.js';
import { environmentFields, migrationsSchema } from '../config/schema.js';
import { doctorSchema, scheduleSchema } from '../doctor/config.js';
import { rehearsalSchema } from '../rehearse/config.js';
import { serveSchema } from '../serve/config.js';

export const environmentSchema = z
  .object({
    ...environmentFields,
    /** Doctor threshold overrides (docs/doctor.md). */
    doctor: doctorSchema.optional(),
    /** Cron schedules of the jobs `pgward serve` runs for this environment (docs/serve.md). */
    schedule: scheduleSchema.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    migrations: migrationsSchema.optional(),
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
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
