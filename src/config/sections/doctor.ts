// The per-environment `doctor:` (threshold overrides) and `schedule:` (cron jobs run by `pgward serve`)
// sections of pgward.yaml. Cron expressions are checked for shape here (the config loads fast, without
// the cron library) and parsed for real when `pgward serve` starts.
import { z } from 'zod';
import { parseDuration } from '../duration.js';

const duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  try {
    parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});
const durPair = z.object({ warn: duration.optional(), fail: duration.optional() }).strict();
const ratioPair = z
  .object({ warn: z.number().min(0).max(1), fail: z.number().min(0).max(1) })
  .partial()
  .strict();
const countPair = z
  .object({ warn: z.number().min(0), fail: z.number().min(0) })
  .partial()
  .strict();

export const CHECK_IDS = [
  'connectivity',
  'server_version',
  'connections',
  'idle_in_transaction',
  'long_queries',
  'blocking_locks',
  'cache_hit_ratio',
  'wraparound',
  'sequences',
  'dead_tuples',
  'invalid_indexes',
  'unused_indexes',
  'replication_lag',
  'replication_slots',
  'top_queries',
  'migrations',
  'backup_age',
  'drill_age',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export const doctorSchema = z
  .object({
    latency: durPair.optional(),
    version_eol: z
      .object({ warn_days: z.number().int().min(0) })
      .strict()
      .optional(),
    connections: ratioPair.optional(),
    idle_in_transaction: durPair.optional(),
    long_queries: durPair.optional(),
    lock_waits: durPair.optional(),
    cache_hit_ratio: ratioPair
      .extend({ min_blocks: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    wraparound: countPair.optional(),
    sequences: ratioPair.optional(),
    dead_tuples: ratioPair
      .extend({ min_dead: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    unused_indexes: z
      .object({ min_bytes: z.number().int().min(0) })
      .strict()
      .optional(),
    replication_lag: durPair.optional(),
    replication_slots: countPair.optional(),
    pending_migrations: z.object({ fail_after: duration }).strict().optional(),
    backup_age: durPair.optional(),
    drill_age: durPair.optional(),
    top_queries: z
      .object({ limit: z.number().int().min(0).max(100) })
      .strict()
      .optional(),
    disabled: z.array(z.enum(CHECK_IDS)).optional(),
  })
  .strict();
export type RawDoctor = z.infer<typeof doctorSchema>;

// Five fields (minute precision) or six (seconds first), as croner reads them; or a nickname.
const CRON_SHAPE = /^(@(yearly|annually|monthly|weekly|daily|hourly)|(\S+\s+){4,5}\S+)$/;
const cron = z
  .string()
  .trim()
  .regex(CRON_SHAPE, 'expected a cron expression such as "0 3 * * *" (5 fields, or 6 with seconds)');

export const JOB_NAMES = ['backup', 'prune', 'verify', 'doctor'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const scheduleSchema = z
  .object({
    backup: cron.optional(),
    prune: cron.optional(),
    verify: cron.optional(),
    doctor: cron.optional(),
    /** IANA time zone the expressions are read in (default: UTC). */
    timezone: z.string().min(1).optional(),
  })
  .strict();
export type RawSchedule = z.infer<typeof scheduleSchema>;
