// Targets built for identification, and the refusal shared by commands whose target must be nobody's.
import type { LoadedConfig } from '../config/load.js';
import { defaultPolicy, environmentPolicy, isProtectedEnvironment, type Target } from '../config/target.js';
import { ExitCode, PgwardError } from '../errors.js';
import { describeMatch, identifyTarget, protectedMatch } from './identify.js';

/** A Target for `url`, named `env` (with that environment's configured protection and policy) or unnamed. */
export function targetFor(config: LoadedConfig | undefined, env: string | undefined, url: string): Target {
  const configured = env ? environmentPolicy(config, env) : undefined;
  const isProtected = configured?.protected ?? (env ? isProtectedEnvironment(env, undefined) : false);
  return { env, url, protected: isProtected, policy: configured?.policy ?? defaultPolicy(isProtected) };
}

/**
 * For scratch targets (a restore drill's --into, a rehearsal copy): refuses a database identified as any
 * environment's, protected or not. Such a target is only ever meant to be a throwaway database.
 */
export async function refuseEnvironmentDatabase(
  url: string,
  opts: { config?: LoadedConfig | undefined; what: string; hint: string },
): Promise<void> {
  const t = await identifyTarget(targetFor(opts.config, undefined, url), { config: opts.config });
  const m = protectedMatch(t.identification) ?? t.identification.matches[0];
  if (!m) return;
  throw new PgwardError(`refusing to ${opts.what} ${describeMatch(m, t.identification)}`, {
    exitCode: ExitCode.gateBlocked,
    hint: opts.hint,
  });
}
