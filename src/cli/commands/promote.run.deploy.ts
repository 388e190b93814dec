// The deploy step of `pgward promote`, once every check passed: the deploy pipeline of the target
// environment, exactly as `pgward deploy --env <to>` runs it (journal, lock, gate, verification, rollback).
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
  return runDeploy(ctx, { approve: flags.approve, commit: flags.commit, image: flags.image }, target);
}
