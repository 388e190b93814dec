// `pgward init` and `pgward new`: the files a project starts from.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { FILE_PATTERN } from './files.js';

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

export const CONFIG_TEMPLATE = `# pgward configuration — reference: docs/configuration.md
migrations:
  # Folder of <version>_<name>.sql files with "-- migrate:up" / "-- migrate:down" sections.
  dir: db/migrations
  # pgward runs its own migrations; set another framework (rails, alembic, prisma, flyway, dbmate,
  # golang-migrate, node-pg-migrate, knex) to have status read that framework's files and table.
  framework: auto

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

/**
 * @example
 * ```ts
 * import { initProject } from 'pgward';
 * const { config, migrations } = initProject(process.cwd());
 * console.log(config, migrations);
 * ```
 */
export function initProject(root: string): { config: string; migrations: string } {
  const config = join(root, 'pgward.yaml');
  if (existsSync(config))
    throw new UsageError(`${config} already exists`, 'edit it, or remove it to start over');
  const migrations = join(root, 'db', 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(config, CONFIG_TEMPLATE, { flag: 'wx' });
  return { config, migrations };
}
