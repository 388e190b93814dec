// `pgward init` and `pgward new`: the files a project starts from.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

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

/** Writes <UTC timestamp>_<name>.sql with up and down sections. */
export function newMigration(dir: string, name: string, now = new Date()): string {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const path = join(dir, `${timestampVersion(now)}_${slugify(name)}.sql`);
  if (existsSync(path)) throw new UsageError(`${path} already exists`, 'wait a second or pick another name');
  writeFileSync(path, `-- migrate:up\n\n\n-- migrate:down\n\n`, { flag: 'wx' });
  return path;
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

export function initProject(root: string): { config: string; migrations: string } {
  const config = join(root, 'pgward.yaml');
  if (existsSync(config))
    throw new UsageError(`${config} already exists`, 'edit it, or remove it to start over');
  const migrations = join(root, 'db', 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(config, CONFIG_TEMPLATE, { flag: 'wx' });
  return { config, migrations };
}
