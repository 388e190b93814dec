// `pgward init` and `pgward new`: the files a project starts from.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { FrameworkLayout, FrameworkName } from '../config/frameworks.js';
import { UsageError } from '../errors.js';
import { FILE_PATTERN } from '../files/migration-files.js';
import { discoverLayouts } from '../frameworks/discover.js';

export function timestampVersion(now = new Date()): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export function slugify(name: string): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug)
    throw new UsageError(`"${name}" is not a usable migration name`, 'use letters, digits and underscores');
  return slug;
}

/**
 * Writes <version>_<name>.sql with up and down sections. The version is the UTC timestamp, or — when a
 * file already has that version or a newer one (two `new` in one second, a clock behind a teammate's) —
 * the next integer above every existing version, so the new file always sorts last and never shares a
 * version. Concurrent `new` processes serialise on an O_EXCL reservation of the version itself.
 *
 * @example
 * ```ts
 * import { newMigration } from 'pgward';
 * const path = newMigration('db/migrations', 'add users');
 * console.log(path); // db/migrations/20240101120000_add_users.sql
 * ```
 */
export function newMigration(dir: string, name: string, now = new Date()): string {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const slug = slugify(name);
  let candidate = BigInt(timestampVersion(now));
  for (let tries = 0; tries < 1000; tries++) {
    const newest = newestVersion(dir);
    if (newest !== undefined && candidate <= newest) candidate = newest + 1n;
    const path = tryCreate(dir, candidate, slug);
    if (path) return path;
    candidate++;
  }
  throw new UsageError(
    `could not find a free migration version in ${dir}`,
    'remove stale .pgward-new-* files',
  );
}

function newestVersion(dir: string): bigint | undefined {
  let newest: bigint | undefined;
  for (const entry of readdirSync(dir)) {
    const m = FILE_PATTERN.exec(entry);
    if (!m) continue;
    const v = BigInt(m[1]!);
    if (newest === undefined || v > newest) newest = v;
  }
  return newest;
}

/**
 * Reserves `version` (O_EXCL on a marker named after it alone, so two names cannot take one version),
 * re-checks under the reservation that no file has it, then creates the file; undefined = taken.
 */
function tryCreate(dir: string, version: bigint, slug: string): string | undefined {
  const marker = join(dir, `.pgward-new-${version}`);
  try {
    closeSync(openSync(marker, 'wx'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  try {
    const newest = newestVersion(dir);
    if (newest !== undefined && newest >= version) return undefined;
    const path = join(dir, `${version}_${slug}.sql`);
    writeFileSync(path, `-- migrate:up\n\n\n-- migrate:down\n\n`, { flag: 'wx' });
    return path;
  } finally {
    rmSync(marker, { force: true });
  }
}

const DEFAULT_MIGRATIONS = `migrations:
  # Folder of <version>_<name>.sql files with "-- migrate:up" / "-- migrate:down" sections.
  dir: db/migrations
  # pgward runs its own migrations; set another framework (rails, alembic, django, prisma, flyway,
  # dbmate, golang-migrate, node-pg-migrate, knex) to have status read that framework's files and table.
  framework: auto
`;

const REST = `
# Used when neither --env nor PGWARD_ENV is given.
default_env: development

environments:
  development:
    url: \${DATABASE_URL:-postgresql://localhost:5432/app_development}
  production:
    # \${VAR} is read from the environment when this environment is used.
    url: \${PRODUCTION_DATABASE_URL}
    protected: true
    policy:
      statement_timeout: 10min   # per statement
      lock_timeout: 5s           # never queue traffic behind a long lock wait
      lock_retries: 3            # retry a migration that hit lock_timeout, with backoff
      migration_timeout: 10min   # whole migration; cancelled and rolled back past it
`;

export const CONFIG_TEMPLATE = `# pgward configuration — reference: docs/configuration.md
${DEFAULT_MIGRATIONS}${REST}`;

/** A YAML double-quoted scalar (paths may hold `:` or `#`). */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** The migrations section for a layout found in the project (paths relative to pgward.yaml's folder). */
function foundMigrations(root: string, layout: FrameworkLayout): string {
  const dir = (relative(root, layout.dir) || '.').split(sep).join('/');
  return `migrations:
  # Found by pgward init: ${layout.framework} (${layout.evidence.replace(/\n/g, ' ')}).
  # pgward reads ${layout.framework}'s files and tracking table; \`pgward status\` reports what is pending.
  dir: ${yamlString(dir)}
  framework: ${layout.framework}
`;
}

/** Layouts init could not choose between are listed in the file, for the user to pick one. */
function ambiguousMigrations(root: string, layouts: FrameworkLayout[]): string {
  const lines = layouts.map(
    (l) =>
      `  #   framework: ${l.framework}  dir: ${(relative(root, l.dir) || '.').split(sep).join('/')}  (${l.evidence})`,
  );
  return `migrations:
  # pgward init found several migration setups; set dir and framework to the one pgward should read:
${lines.join('\n')}
  dir: db/migrations
  framework: auto
`;
}

/** The one layout init records: the only one, else the only one at the project root. */
function chosenLayout(root: string, layouts: FrameworkLayout[]): FrameworkLayout | undefined {
  if (layouts.length === 1) return layouts[0];
  const here = layouts.filter((l) => l.root === root);
  return here.length === 1 ? here[0] : undefined;
}

export interface InitResult {
  config: string;
  /** The migrations folder pgward.yaml names (created when it is pgward's own db/migrations). */
  migrations: string;
  framework: FrameworkName | 'auto';
  /** The layout found in the project and written to pgward.yaml, if any. */
  found?: FrameworkLayout;
  /** Several layouts and none chosen: listed in pgward.yaml as comments. */
  candidates: FrameworkLayout[];
}

/**
 * Writes pgward.yaml (and db/migrations, for a pgward project). When the project's files show one
 * migration framework (Rails, Alembic, Django, Prisma, Knex…), pgward.yaml records its framework and
 * folder instead; `discover: false` skips the search.
 *
 * @example
 * ```ts
 * import { initProject } from 'pgward';
 * const { config, migrations, framework } = initProject(process.cwd());
 * console.log(config, migrations, framework);
 * ```
 */
export function initProject(root: string, options: { discover?: boolean } = {}): InitResult {
  const config = join(root, 'pgward.yaml');
  if (existsSync(config))
    throw new UsageError(`${config} already exists`, 'edit it, or remove it to start over');
  const layouts = options.discover === false ? [] : discoverLayouts(root);
  const found = chosenLayout(root, layouts);
  if (found) {
    const text = `# pgward configuration — reference: docs/configuration.md\n${foundMigrations(root, found)}${REST}`;
    writeFileSync(config, text, { flag: 'wx' });
    return { config, migrations: found.dir, framework: found.framework, found, candidates: [] };
  }
  const migrations = join(root, 'db', 'migrations');
  mkdirSync(migrations, { recursive: true });
  const section = layouts.length > 1 ? ambiguousMigrations(root, layouts) : DEFAULT_MIGRATIONS;
  writeFileSync(config, `# pgward configuration — reference: docs/configuration.md\n${section}${REST}`, {
    flag: 'wx',
  });
  return { config, migrations, framework: 'auto', candidates: layouts.length > 1 ? layouts : [] };
}
