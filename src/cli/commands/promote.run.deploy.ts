// The deploy step of `pgward promote`, once every check passed: the deploy pipeline of the target
// environment. A placeholder on this branch; the lead wires it to src/deploy/deploy.ts at merge.
import { UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { PromoteFlags } from './promote.js';

export async function runPromotedDeploy(
  _ctx: Context,
  _targetEnv: string,
  _flags: PromoteFlags,
): Promise<number> {
  throw new UsageError('promote: the deploy step is wired by the lead');
}
