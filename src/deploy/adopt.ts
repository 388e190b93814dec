// After a crash between the platform's accepting a deploy and the journal's recording its id, the
// resumed run must not start a second one: it looks for the deploy the stopped run may have started
// (through the API, since that attempt began, for the journaled commit/image, not another deploy of the
// journal) and waits on it. Unambiguous: adopted. Several: the run stops and asks (`--adopt <id>|new`).
import { ExitCode } from '../errors.js';
import type { PlatformDeployRef } from '../platform/types.js';
import type { PipelineContext, StepOutcome } from './types.js';

/** Render's clock and this machine's may differ: a deploy created up to this long before the attempt counts. */
const CLOCK_SKEW_MS = 60_000;

async function journaledIds(ctx: PipelineContext): Promise<Set<string>> {
  const { rows } = await ctx.client.query<{ id: string }>(
    `SELECT platform_deploy_id AS id FROM pgward.deploys
      WHERE env = $1 AND id <> $2 AND platform_deploy_id IS NOT NULL`,
    [ctx.rec.env, ctx.rec.id],
  );
  return new Set(rows.map((r) => r.id));
}

async function candidates(ctx: PipelineContext, since: Date): Promise<PlatformDeployRef[]> {
  const known = await journaledIds(ctx);
  if (ctx.rec.previousDeploy) known.add(ctx.rec.previousDeploy);
  const listed = (await ctx.provider.apiDeploysSince?.(since, ctx.opts.signal)) ?? [];
  return listed.filter(
    (d) =>
      !known.has(d.id) &&
      (!ctx.rec.commit || d.commit === ctx.rec.commit) &&
      (!ctx.rec.image || d.image === ctx.rec.image),
  );
}

/**
 * The platform deploy id to wait on instead of triggering (a string), a StepOutcome that stops the step,
 * or null: trigger as usual.
 */
export async function adoptStoppedTrigger(ctx: PipelineContext): Promise<string | StepOutcome | null> {
  const prior = ctx.priorAttempt;
  const asked = ctx.opts.adopt;
  if (ctx.rec.platformDeployId !== null || asked === 'new') return null;
  if (prior?.name !== 'platform' || !ctx.provider.apiDeploysSince) {
    if (asked)
      return {
        status: 'failed',
        detail: `--adopt ${asked}: no stopped platform step to adopt a deploy for`,
        exitCode: ExitCode.usage,
      };
    return null;
  }
  const since = new Date(Date.parse(prior.startedAt) - CLOCK_SKEW_MS);
  const found = await candidates(ctx, since);
  if (asked) {
    if (found.some((d) => d.id === asked)) return asked;
    return {
      status: 'interrupted',
      detail: `--adopt ${asked}: not a deploy started through the API since ${since.toISOString()} for this deploy (candidates: ${found.map((d) => d.id).join(', ') || 'none'})`,
      exitCode: ExitCode.usage,
    };
  }
  if (found.length === 0) return null;
  if (found.length === 1) {
    ctx.emit({
      type: 'progress',
      step: 'platform',
      detail: `adopted ${found[0]!.id} (created ${found[0]!.createdAt}): the stopped run started it before recording it`,
    });
    return found[0]!.id;
  }
  return {
    status: 'interrupted',
    detail: `the stopped run may have started any of ${found.map((d) => `${d.id} (created ${d.createdAt})`).join(', ')}; run pgward deploy --adopt <one of them>, or --adopt new to start another`,
    exitCode: ExitCode.runtime,
  };
}
