// The deploy step of `pgward promote`, once every check passed: the deploy pipeline of the target
// environment, exactly as `pgward deploy --env <to>` runs it (journal, lock, gate, verification, rollback).
// Without --commit/--image, the target gets the version the source's live deploy runs.
import { resolveTarget } from '../../config/target.js';
import type { Context } from '../context.js';
import type { PromoteFlags } from './promote.js';

export async function runPromotedDeploy(
  ctx: Context,
  targetEnv: string,
  flags: PromoteFlags,
): Promise<number> {
  const { runDeploy } = await import('./deploy.run.js');
  const target = resolveTarget({ config: ctx.config, env: targetEnv });
  let { commit, image } = flags;
  if (!commit && !image) {
    const { promotedVersion } = await import('../../deploy/promote-version.js');
    const v = await promotedVersion(ctx.config, flags.from);
    ctx.out.info(`· version ${v.note}`);
    ({ commit, image } = v);
  }
  return runDeploy(ctx, { approve: flags.approve, commit, image }, target);
}
