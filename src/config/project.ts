// Which database and which migrations a library call works on, decided exactly like the CLI decides
// it for its flags: so `migrate({ url, dir })` from a script and `pgward migrate --url --dir` from a
// shell act on the same thing. Callers that already resolved a Target and a MigrationsSource (the
// CLI, power users) pass them and nothing is looked up again.
import { findConfig } from './find.js';
import type { FrameworkName } from './frameworks.js';
import type { LoadedConfig } from './load.js';
import { type MigrationsSource, resolveMigrationsSource, resolveTarget, type Target } from './target.js';

/** Where a library call works: either resolved objects, or the same choices the CLI's global flags give. */
export interface ProjectOptions {
  /** An already resolved database and policy (wins over url / env). */
  target?: Target | undefined;
  /** Already resolved migrations (wins over dir / framework). */
  source?: MigrationsSource | undefined;
  /** Database URL (like --url). Default: the environment's URL, else DATABASE_URL. */
  url?: string | undefined;
  /** Environment of pgward.yaml (like --env). Default: PGWARD_ENV, default_env, or the only one. */
  env?: string | undefined;
  /** Migrations directory (like --dir), relative to the working directory. Default: migrations.dir, else db/migrations. */
  dir?: string | undefined;
  /** Migration framework (like --framework). Default: migrations.framework, else detected. */
  framework?: FrameworkName | 'auto' | undefined;
  /**
   * pgward.yaml: a loaded config, a path, or false for none. Default: PGWARD_CONFIG, else pgward.yaml in
   * the working directory or a parent (the CLI's discovery).
   */
  config?: LoadedConfig | string | false | undefined;
}

export interface ResolvedProject {
  target: Target;
  source: MigrationsSource;
  config: LoadedConfig | undefined;
}

/**
 * The config a call uses: the one given, or the one the CLI would find. The YAML parser and the schema
 * load only when there is a file to read: a run given its target and source (the CLI's) never pays
 * their start-up cost (~30 ms).
 */
export async function projectConfig(config: ProjectOptions['config']): Promise<LoadedConfig | undefined> {
  if (config === false) return undefined;
  if (typeof config === 'object') return config;
  const path = config ?? process.env.PGWARD_CONFIG ?? findConfig();
  return path ? (await import('./load.js')).loadConfig(path) : undefined;
}

/**
 * Fills in target, source and config the way the CLI does; options already resolved are kept as given
 * (a given target is never re-read from pgward.yaml).
 *
 * @example
 * ```ts
 * import { resolveProject } from 'pgward';
 * const { target, source } = await resolveProject({ env: 'staging' });
 * console.log(target.policy.destructive, source.dir);
 * ```
 */
export async function resolveProject<T extends ProjectOptions>(opts: T): Promise<T & ResolvedProject> {
  const needsConfig = !opts.target || !opts.source || opts.config !== undefined;
  const config = needsConfig ? await projectConfig(opts.config) : undefined;
  const target = opts.target ?? resolveTarget({ config, env: opts.env, url: opts.url });
  const source = opts.source ?? resolveMigrationsSource(config, opts.dir, opts.framework);
  return { ...opts, target, source, config };
}
