// The `rehearsal:` section of pgward.yaml: where throwaway copies are made and the budget a migration
// must stay within on production-sized data.
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { interpolate } from '../config/interpolate.js';
import type { LoadedConfig } from '../config/load.js';

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

export interface RehearsalSettings {
  server: string | undefined;
  source: 'clone' | 'backup';
  maxLockMs: number;
  maxDurationMs: number | null;
  jobs: number;
  smoke: string[];
}

/**
 * Defaults: 5 s of blocking lock (the default lock_timeout other sessions would hit), duration = migration_timeout.
 *
 * @example
 * ```ts
 * import { loadConfig, rehearsalSettings } from 'pgward';
 * const settings = rehearsalSettings(loadConfig('pgward.yaml'), 600_000);
 * console.log(settings.maxLockMs);
 * ```
 */
export function rehearsalSettings(
  config: LoadedConfig | undefined,
  migrationTimeoutMs: number | null,
): RehearsalSettings {
  const raw = (config?.raw as { rehearsal?: RawRehearsal } | undefined)?.rehearsal ?? {};
  return {
    server: raw.server ? interpolate(raw.server) : undefined,
    source: raw.source ?? 'clone',
    maxLockMs: (raw.max_lock_seconds ?? 5) * 1000,
    maxDurationMs: raw.max_duration !== undefined ? parseDuration(raw.max_duration) : migrationTimeoutMs,
    jobs: raw.jobs ?? 4,
    smoke: raw.smoke ?? [],
  };
}
