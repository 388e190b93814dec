// `pgward recover --via neon --at <time>`: a NEW Neon branch of the environment's branch at <time>
// (the environment's branch is untouched), validated against the newest drill-proven backup taken at or
// before <time> with the same rule as Render's point-in-time recovery (src/platform/render/pitr.ts):
// every backed-up table present with at least as many rows; growth and new tables reported; a missing
// table or fewer rows fails validation (exit 10). The branch is kept either way; the next step is printed.
import type { Storage } from '../../backup/storage.js';
import { UsageError } from '../../errors.js';
import { baselineFor, type RecoveryValidation, validateAgainst } from '../recovery-validation.js';
import { createWorkBranch, forgetInheritedStamps, type NeonHandle } from './setup.js';

export interface NeonRecoverOptions {
  neon: NeonHandle;
  at: Date;
  env: string | undefined;
  storage: Storage;
  /** Skip the validation (no proven backup needed); the result says it was not validated. */
  validate?: boolean;
  /** The new branch's name (default pgward-recover-<time>-<random>). */
  name?: string;
  onStep?: (step: 'check' | 'branch' | 'validate', detail: string) => void;
  signal?: AbortSignal;
}

export interface NeonRecoverResult {
  project: string;
  source: string;
  at: string;
  branch: { id: string; name: string };
  /** The branch's direct URL (a secret: printed redacted). */
  url: string;
  validation: RecoveryValidation | null;
  nextSteps: string[];
}

function recoverName(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase();
  return `pgward-recover-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

/**
 * A Neon branch of the environment's branch at a past time, validated against the newest proven backup.
 *
 * @example
 * ```ts
 * import { backupSettings, neonHandleFor, openStorage, recoverViaNeon } from 'pgward';
 * const s = backupSettings(undefined);
 * const r = await recoverViaNeon({
 *   neon: neonHandleFor({ project: 'shiny-wind-028834', branch: 'main' }),
 *   at: new Date(Date.now() - 10 * 60_000),
 *   env: 'production',
 *   storage: await openStorage(s.storageUrl, s),
 * });
 * console.log(r.branch.name, r.validation?.ok, r.nextSteps);
 * ```
 */
export async function recoverViaNeon(o: NeonRecoverOptions): Promise<NeonRecoverResult> {
  if (o.at.getTime() > Date.now()) throw new UsageError(`--at ${o.at.toISOString()} is in the future`);
  const h = o.neon;
  o.onStep?.('check', `newest proven backup of ${o.env ?? 'this database'} before ${o.at.toISOString()}`);
  const baseline = o.validate === false ? null : await baselineFor(o.storage, o.env, o.at);
  const source = h.branch ?? 'the default branch';
  o.onStep?.('branch', `${source} at ${o.at.toISOString()} into a new branch`);
  const b = await createWorkBranch(h, {
    purpose: 'recover',
    at: o.at,
    name: o.name ?? recoverName(o.at),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  let validation: RecoveryValidation | null = null;
  if (baseline) {
    o.onStep?.('validate', `${b.name} against backup ${baseline.id}`);
    validation = await validateAgainst(b.url, baseline);
  }
  // After the validation (the backup counted pgward.identity's rows too): the branch is not production.
  await forgetInheritedStamps(b.url);
  const envFlag = o.env ? ` --env ${o.env}` : '';
  const nextSteps =
    validation && !validation.ok
      ? [
          `inspect Neon branch ${b.name} before using it; it is kept (delete it in the Neon console if it is not wanted)`,
        ]
      : [`pgward switch${envFlag} --to "$(neonctl connection-string ${b.name} --project-id ${h.project})"`];
  return {
    project: h.project,
    source,
    at: o.at.toISOString(),
    branch: { id: b.id, name: b.name },
    url: b.url,
    validation,
    nextSteps,
  };
}
