// The `rehearsal:` section of pgward.yaml: where throwaway copies are made and the budget a migration
// must stay within on production-sized data.
import { parseDuration } from '../config/duration.js';
import { interpolate } from '../config/interpolate.js';
import type { LoadedConfig } from '../config/load.js';
import type { RawRehearsal } from '../config/sections/rehearsal.js';

export { type RawRehearsal, rehearsalSchema } from '../config/sections/rehearsal.js';

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
