// The Neon settings of an environment (its `neon:` block in pgward.yaml) as a handle on the API.
import type { RawNeon } from '../../config/sections/neon.js';
import { UsageError } from '../../errors.js';
import { type NeonHandle, neonHandleFor } from '../../platform/neon/setup.js';
import type { Context } from '../context.js';

export function neonEnv(ctx: Context, envName: string | undefined, flag = '--via neon'): NeonHandle {
  const env = envName
    ? (ctx.config?.raw.environments?.[envName] as { neon?: RawNeon } | undefined)
    : undefined;
  if (!env?.neon)
    throw new UsageError(
      `${flag}: environment ${envName ?? '(none)'} has no neon: block in pgward.yaml`,
      'add neon: { project: <project id>, branch: <branch id or name> } to the environment (docs/neon.md)',
    );
  return neonHandleFor(env.neon);
}
