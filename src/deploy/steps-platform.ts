// The platform steps: deploy the code (the previous live deploy and our platform id recorded before any
// waiting, so a crash can resume), verify it (health N times in a row, then the 5xx ratio over the
// window) and, when it fails, roll the code back to the previous live deploy.
import { ExitCode } from '../errors.js';
import { formatDuration } from '../format/units.js';
import { checkHealth } from '../platform/health.js';
import type { PlatformDeployResult, TriggerOptions } from '../platform/types.js';
import { PlatformUnreachableError } from '../platform/unreachable.js';
import { adoptStoppedTrigger } from './adopt.js';
import { saveDeploy } from './journal.js';
import type { PipelineContext, StepOutcome } from './types.js';
import { snapshotWrites } from './writes.js';

function triggerOptions(ctx: PipelineContext, step: 'platform' | 'rollback'): TriggerOptions {
  return {
    deployId: ctx.rec.id,
    // The flags the deploy was started with (journaled), never those of a run that resumes it.
    ...(ctx.rec.commit ? { commit: ctx.rec.commit } : {}),
    ...(ctx.rec.image ? { image: ctx.rec.image } : {}),
    onProgress: (e) =>
      ctx.emit({ type: 'progress', step, detail: `${e.status}${e.detail ? `: ${e.detail}` : ''}` }),
    ...(ctx.opts.signal ? { signal: ctx.opts.signal } : {}),
  };
}

/** Outcomes after which the old version is known to be still live (Render keeps it): nothing to roll back. */
const OLD_STILL_LIVE = new Set(['build_failed', 'pre_deploy_failed', 'update_failed', 'canceled']);

export async function platformStep(ctx: PipelineContext): Promise<StepOutcome> {
  const { provider, rec } = ctx;
  const opts = triggerOptions(ctx, 'platform');
  const adopted = await adoptStoppedTrigger(ctx);
  if (adopted !== null && typeof adopted !== 'string') return adopted;
  if (adopted) {
    rec.platformDeployId = adopted;
    await saveDeploy(ctx.client, rec);
  }
  const resumeWait = rec.platformDeployId !== null && provider.kind !== 'command';
  if (!resumeWait) {
    // What a rollback returns to, and the write counters, before anything changes.
    if (rec.previousDeploy === null) rec.previousDeploy = await provider.liveDeploy(ctx.opts.signal);
    if (rec.writeBaseline === null) rec.writeBaseline = await snapshotWrites(ctx.client);
    await saveDeploy(ctx.client, rec);
    rec.platformDeployId = await provider.trigger(opts);
    await saveDeploy(ctx.client, rec);
  } else {
    ctx.emit({
      type: 'progress',
      step: 'platform',
      detail: `waiting for ${rec.platformDeployId}, started before the restart`,
    });
  }
  let r: PlatformDeployResult;
  try {
    r = await provider.wait(rec.platformDeployId, opts);
  } catch (err) {
    if (!(err instanceof PlatformUnreachableError) || !rec.platformDeployId || ctx.opts.signal?.aborted)
      throw err;
    // The deploy goes on (or ended) on the platform; nobody knows how: neither done nor failed. Resumable.
    const api = provider.kind === 'render' ? 'Render API' : 'the platform';
    return {
      status: 'interrupted',
      detail: `${api} unreachable while waiting for ${rec.platformDeployId}; run pgward deploy again to resume (${err.message})`,
      exitCode: ExitCode.runtime,
    };
  }
  if (r.platformDeployId && r.platformDeployId !== rec.platformDeployId)
    rec.platformDeployId = r.platformDeployId;
  return platformOutcome(r);
}

function platformOutcome(r: PlatformDeployResult): StepOutcome {
  const line = r.detail.split('\n')[0]!;
  if (r.outcome === 'live') return { status: 'done', detail: `live (${line})` };
  if (OLD_STILL_LIVE.has(r.outcome))
    return {
      status: 'failed',
      detail: `${r.outcome}: ${line}; the previous version is still live`,
      exitCode: ExitCode.deployFailed,
    };
  return { status: 'failed', detail: `${r.outcome}: ${r.detail.replace(/\n/g, ' | ').slice(0, 500)}` };
}

/** True when a failed platform step leaves the old version live (no code rollback needed). */
export function oldVersionStillLive(detail: string): boolean {
  return [...OLD_STILL_LIVE].some((s) => detail.startsWith(`${s}:`));
}

async function health(ctx: PipelineContext): Promise<string | undefined> {
  const v = ctx.settings.verify;
  if (!v.healthUrl) return undefined;
  let last = '';
  const r = await checkHealth({
    url: v.healthUrl,
    checks: v.checks,
    intervalMs: v.intervalMs,
    timeoutMs: v.timeoutMs,
    ...(ctx.opts.signal ? { signal: ctx.opts.signal } : {}),
    // One line per change of answer, not one per attempt.
    onAttempt: (a) => {
      const said = a.ok ? 'ok' : (a.error ?? 'not ok');
      if (said !== last) ctx.emit({ type: 'progress', step: 'verify', detail: `health: ${said}` });
      last = said;
    },
  });
  if (r.ok) return `health ok ${v.checks}× in a row`;
  throw new VerifyFailed(
    `health never answered ok ${v.checks}× in a row within ${formatDuration(v.timeoutMs)} (last: ${r.last?.error ?? 'no attempt'}, ${r.attempts} attempts)`,
  );
}

class VerifyFailed extends Error {}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/** Polls the platform's request counts over the window; fails as soon as the ratio is judged too high. */
async function errorRate(ctx: PipelineContext, since: Date): Promise<string> {
  const v = ctx.settings.verify;
  const end = since.getTime() + v.windowMs;
  let last = { total: 0, errors: 0 };
  for (;;) {
    const c = await ctx.provider.requestCounts(since, new Date(), ctx.opts.signal);
    if (c === null) return 'no request metrics from this platform (error rate not judged)';
    last = c;
    const pct = c.total ? (100 * c.errors) / c.total : 0;
    if (c.total >= v.minRequests && pct > v.errorThreshold)
      throw new VerifyFailed(
        `5xx ratio ${pct.toFixed(2)}% (${c.errors}/${c.total}) over the ${v.errorThreshold}% threshold`,
      );
    if (Date.now() >= end || ctx.opts.signal?.aborted) break;
    await sleep(Math.min(v.intervalMs, Math.max(0, end - Date.now())), ctx.opts.signal);
  }
  const pct = last.total ? (100 * last.errors) / last.total : 0;
  return last.total < v.minRequests
    ? `${last.total} requests in the window, under min_requests ${v.minRequests} (not judged)`
    : `5xx ratio ${pct.toFixed(2)}% (${last.errors}/${last.total}) within ${v.errorThreshold}%`;
}

export async function verifyStep(ctx: PipelineContext): Promise<StepOutcome> {
  const since = new Date();
  try {
    const h = await health(ctx);
    const e = await errorRate(ctx, since);
    if (ctx.opts.signal?.aborted)
      return { status: 'failed', detail: 'interrupted', exitCode: ExitCode.interrupted };
    return { status: 'done', detail: [h ?? 'no health_url configured (health not checked)', e].join('; ') };
  } catch (err) {
    if (ctx.opts.signal?.aborted)
      return { status: 'failed', detail: 'interrupted', exitCode: ExitCode.interrupted };
    // A deploy that could not be verified (the metrics API down mid-poll) is not a verified deploy.
    if (!(err instanceof VerifyFailed))
      return { status: 'failed', detail: `verification could not complete: ${(err as Error).message}` };
    return { status: 'failed', detail: err.message };
  }
}

export async function rollbackStep(ctx: PipelineContext): Promise<StepOutcome> {
  const to = ctx.rec.previousDeploy ? ` to ${ctx.rec.previousDeploy}` : '';
  let r: PlatformDeployResult;
  try {
    r = await ctx.provider.rollback(ctx.rec.previousDeploy, triggerOptions(ctx, 'rollback'));
  } catch (err) {
    if (!(err instanceof PlatformUnreachableError) || ctx.opts.signal?.aborted) throw err;
    // Whether the rollback was accepted or went live is unknown: resumable (a rollback to the same deploy again is harmless).
    const api = ctx.provider.kind === 'render' ? 'Render API' : 'the platform';
    return {
      status: 'interrupted',
      detail: `${api} unreachable while rolling back${to}; run pgward deploy again to resume (the rollback runs again) (${err.message})`,
      exitCode: ExitCode.runtime,
    };
  }
  if (r.outcome === 'live')
    return { status: 'done', detail: `code rolled back${to} (${r.detail.split('\n')[0]})` };
  return {
    status: 'failed',
    detail: `rollback${to} failed: ${r.detail.replace(/\n/g, ' | ').slice(0, 500)}`,
    exitCode: ExitCode.deployFailed,
  };
}
