// The `rehearsal:` section of pgward.yaml (docs/rehearse.md). Kept in src/config so the whole file is
// validated without importing src/rehearse; src/rehearse/config.ts turns it into RehearsalSettings.
import { z } from 'zod';
import { parseDuration } from '../duration.js';

const duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  try {
    parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const rehearsalSchema = z
  .object({
    /** A URL on the server where pgward may create and drop scratch databases (never production's own). */
    server: z.string().min(1).optional(),
    /** How the copy is made: a clone of the environment (default) or a restore of its latest verified backup. */
    source: z.enum(['clone', 'backup']).optional(),
    /** Longest acceptable hold of a lock that blocks reads or writes (SHARE or stronger), in seconds. */
    max_lock_seconds: z.number().min(0).optional(),
    /** Longest acceptable duration of one migration. */
    max_duration: duration.optional(),
    /** Parallel jobs for the copy. */
    jobs: z.number().int().min(1).max(64).optional(),
    /** SQL run on the migrated copy; each must succeed, and a first column that is boolean must be true. */
    smoke: z.array(z.string().min(1)).optional(),
  })
  .strict();

export type RawRehearsal = z.infer<typeof rehearsalSchema>;
