// `pgward rehearse --env production --via neon`: the throwaway copy is a fresh Neon branch of the
// environment's branch (copy-on-write: seconds, real data size and statistics), migrated with the same
// tracer, smoke checks and verdict as any rehearsal, and deleted afterwards: on success, failure, and on
// SIGINT/SIGTERM (the CLI's abort signal ends the work; the delete itself runs without it). A branch left
// by a run killed with SIGKILL carries pgward's name, host tag and pid, and the next run deletes it first.
import { InterruptedError, isInterrupted, throwIfAborted } from '../interrupt.js';
import {
  createWorkBranch,
  forgetInheritedStamps,
  type NeonHandle,
  ownBranchName,
  sweepNeonBranches,
} from '../platform/neon/setup.js';
import { redactUrl } from '../redact.js';
import {
  identified,
  type RehearseOptions,
  type RehearseResult,
  refuseCopyAsEnvironment,
  rehearseCopy,
} from './rehearse.js';

export interface NeonRehearseOptions extends RehearseOptions {
  neon: NeonHandle;
}

/**
 * A rehearsal on a new Neon branch of the environment's branch, deleted afterwards.
 *
 * @example
 * ```ts
 * import { loadConfig, neonHandleFor, rehearsalSettings, rehearseViaNeon, resolveProject } from 'pgward';
 * const { config, target, source } = await resolveProject({ env: 'production' });
 * const r = await rehearseViaNeon({
 *   config,
 *   target,
 *   source,
 *   settings: rehearsalSettings(config, target.policy.migrationTimeoutMs),
 *   neon: neonHandleFor({ project: 'shiny-wind-028834', branch: 'main' }),
 * });
 * console.log(r.copy.branch?.name, r.exitCode);
 * ```
 */
export async function rehearseViaNeon(given: NeonRehearseOptions): Promise<RehearseResult> {
  const started = Date.now();
  const o = { ...given, target: await identified(given) };
  const env = o.target.env ?? 'database';
  const h = o.neon;
  await sweepNeonBranches(h, (line) => o.onStep?.('sweep', line), o.signal);
  // A kept branch is not named like a sweepable one: a later run must not delete what the user kept.
  const own = ownBranchName('rehearse');
  const name = o.keep ? own.replace('pgward-rehearse-', 'pgward-kept-rehearse-') : own;
  let branchId: string | undefined;
  let branchName = name;
  let kept = false;
  try {
    throwIfAborted(o.signal, 'rehearse');
    o.onStep?.('copy', `a Neon branch of ${h.branch ?? 'the default branch'} in ${h.project}`);
    const t0 = Date.now();
    const b = await createWorkBranch(h, {
      purpose: 'rehearse',
      name,
      ...(o.signal ? { signal: o.signal } : {}),
      onCreated: (id) => {
        branchId = id;
      },
    });
    branchName = b.name;
    const copyMs = Date.now() - t0;
    await forgetInheritedStamps(b.url);
    await refuseCopyAsEnvironment(o, b.url);
    const verdict = await rehearseCopy(o, b.url);
    throwIfAborted(o.signal, 'rehearse');
    kept = o.keep === true;
    return {
      env,
      ...verdict,
      copy: {
        method: 'neon',
        branch: { id: b.id, name: b.name },
        database: h.database,
        url: redactUrl(b.url),
        durationMs: copyMs,
        kept,
      },
      durationMs: Date.now() - started,
    };
  } catch (err) {
    if (o.signal?.aborted || isInterrupted(err))
      throw new InterruptedError(
        'rehearse',
        `the Neon branch ${branchName} was deleted, nothing was recorded`,
      );
    throw err;
  } finally {
    // Interrupted while Neon was answering the POST: the branch may exist without pgward knowing its id.
    if (!branchId && !kept)
      branchId = await h.client
        .listBranches(h.project)
        .then((all) => all.find((b) => b.name === name)?.id)
        .catch(() => undefined);
    if (branchId && !kept) {
      o.onStep?.('drop', `Neon branch ${branchName}`);
      await h.client.deleteBranch(h.project, branchId).catch((e: Error) => {
        o.onStep?.(
          'drop',
          `could not delete Neon branch ${branchName}: ${e.message} (the next run sweeps it)`,
        );
      });
    }
  }
}
