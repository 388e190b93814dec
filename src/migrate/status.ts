// `pgward status`: what has run, what is pending, and what changed behind pgward's back — for pgward's
// own history or, read-only, for the tracking table of the framework the project already uses.
import { relative } from 'node:path';
import type pg from 'pg';
import { type ProjectOptions, resolveProject } from '../config/project.js';
import type { FrameworkName } from '../config/schema.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { appName, withClient } from '../db/connect.js';
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import { loadMigrations } from '../files/migration-files.js';
import {
  countStates,
  type MigrationStatusEntry,
  type StatusReport,
  statusExitCode,
} from '../files/migration-status.js';
import { ADAPTERS, detectFramework } from '../frameworks/index.js';
import { locateMigrations } from '../frameworks/locate.js';
import { redactUrl } from '../redact.js';
import { readApplied, readPartial } from './history.js';
import { lockHolder } from './lock.js';
import { compare } from './plan.js';

/** Where to look: `url`/`env`/`dir`/`config` like the CLI flags, or a resolved `target` + `source`. */
export type StatusOptions = ProjectOptions;

/**
 * What `pgward status` reports: applied, pending, drifted, missing, out-of-order and partial
 * migrations, for pgward's history or (read-only) another framework's tracking table. Changes nothing.
 * The report's `exitCode` is the CLI's: 0 up to date, 3 pending, 4 drift/missing/out-of-order/partial.
 *
 * @example
 * ```ts
 * import { status } from 'pgward';
 * const report = await status({ url: process.env.DATABASE_URL, dir: 'db/migrations' });
 * console.log(report.pending.map((m) => `${m.version}_${m.name}`));
 * ```
 */
export async function status(options: StatusOptions): Promise<StatusReport> {
  const opts = await resolveProject(options);
  return withClient(opts.target.url, (client) => statusWithClient(client, opts), {
    applicationName: appName('status'),
  });
}

/** @deprecated Use status(); same options, same report. */
export const getStatus = status;

/** The status on an open connection (doctor reads it on its own). */
export async function statusWithClient(
  client: pg.Client,
  given: { target: Target; source: MigrationsSource },
): Promise<StatusReport> {
  const opts = { ...given, source: locateMigrations(given.source) };
  const framework = await resolveFramework(opts.source, client);
  const common = {
    env: opts.target.env,
    database: redactUrl(opts.target.url),
    framework,
    dir: relative(process.cwd(), opts.source.dir) || '.',
    migrationLock: (await lockHolder(client)) ?? null,
  };
  if (framework === 'pgward') {
    const { files, ignored } = loadMigrations(opts.source.dir);
    const cmp = compare(files, await readApplied(client), await readPartial(client));
    return {
      ...common,
      trackingTable: 'pgward.migrations',
      entries: cmp.entries,
      counts: countStates(cmp.entries),
      pending: cmp.pendingFiles.map((f) => ({ version: f.version, name: f.name })),
      ignoredFiles: ignored,
      exitCode: statusExitCode(cmp.entries),
    };
  }
  const foreign = await ADAPTERS[framework].status(client, opts.source.dir, opts.source.table);
  assertFilesFound(framework, foreign.entries, common.dir);
  const pendingStates = new Set(['pending', 'out-of-order', 'failed']);
  return {
    ...common,
    trackingTable: foreign.trackingTable,
    entries: foreign.entries,
    counts: countStates(foreign.entries),
    pending: foreign.entries
      .filter((e) => pendingStates.has(e.state))
      .map((e) => ({ version: e.version, name: e.name })),
    ignoredFiles: foreign.ignoredFiles,
    exitCode: statusExitCode(foreign.entries),
  };
}

/**
 * Rows in the tracking table but not one migration file in the folder: the folder is the wrong one (a
 * default that does not exist, a typo), not every migration deleted. Refused rather than listed as missing.
 */
function assertFilesFound(framework: FrameworkName, entries: MigrationStatusEntry[], dir: string): void {
  if (entries.length === 0 || entries.some((e) => e.file !== undefined)) return;
  throw new UsageError(
    `${dir} holds no ${framework} migrations, but its tracking table records ${entries.length}: wrong migrations folder?`,
    'pass --dir <folder>, or set migrations.dir in pgward.yaml',
  );
}

/** The configured framework, or the one autodetected from the files and the database. */
export async function resolveFramework(given: MigrationsSource, client: pg.Client): Promise<FrameworkName> {
  const source = locateMigrations(given);
  if (source.framework !== 'auto') return source.framework;
  const detected = await detectFramework(source.dir, client);
  if (typeof detected === 'string') return detected;
  throw new UsageError(
    `cannot tell which framework runs these migrations: ${detected.ambiguous.join(' or ')}`,
    `set migrations.framework in pgward.yaml (or pass --framework ${detected.ambiguous[0]})`,
  );
}

/** pgward only runs its own (dbmate-format) SQL migrations; other frameworks are read-only. */
export function assertPgwardRunner(framework: FrameworkName, command: string): void {
  if (framework === 'pgward') return;
  const hint =
    framework === 'dbmate'
      ? 'this database is tracked by dbmate; to let pgward run the same files, record what dbmate applied with `pgward baseline --import dbmate`'
      : `run ${framework}'s own migrator; \`pgward status\` still reports what is pending`;
  throw new PgwardError(`pgward ${command} runs pgward migrations, but this project uses ${framework}`, {
    exitCode: ExitCode.usage,
    hint,
  });
}
