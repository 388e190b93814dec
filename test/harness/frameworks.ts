// Real, minimal apps of the migration frameworks pgward guards, for tests and benchmarks: each builder
// writes an app into a fresh temp dir (under the test run's TMPDIR) in that framework's own layout, with
// the framework's own migrate command and the environment that points the app at a database URL.
// Rails, Alembic and Django are Debian's packages (ruby-rails + ruby-pg, python3-alembic, python3-django +
// python3-psycopg2: .ci/run installs them); Knex and node-pg-migrate are this repo's devDependencies.
// Python always runs as /usr/bin/python3: a `python3` earlier on the PATH (pyenv) lacks Debian's modules.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { collect } from './project.js';

export type RealFramework = 'rails' | 'alembic' | 'django' | 'knex' | 'node-pg-migrate';

export const REAL_FRAMEWORKS: readonly RealFramework[] = [
  'rails',
  'alembic',
  'django',
  'knex',
  'node-pg-migrate',
];

/** The table each framework records applied migrations in (public schema). */
export const TRACKING_TABLES: Record<RealFramework, string> = {
  rails: 'schema_migrations',
  alembic: 'alembic_version',
  django: 'django_migrations',
  knex: 'knex_migrations',
  'node-pg-migrate': 'pgmigrations',
};

/** SQL returning, oldest first, what the tracking table holds for applied migrations (one column `v`). */
export const TRACKING_QUERIES: Record<RealFramework, string> = {
  rails: 'SELECT version AS v FROM schema_migrations ORDER BY version',
  // Alembic stores the current head(s) only.
  alembic: 'SELECT version_num AS v FROM alembic_version',
  django: "SELECT name AS v FROM django_migrations WHERE app = 'shop' ORDER BY id",
  knex: 'SELECT name AS v FROM knex_migrations ORDER BY id',
  'node-pg-migrate': 'SELECT name AS v FROM pgmigrations ORDER BY id',
};

/** What TRACKING_QUERIES returns once exactly `applied` (in order) have run. */
export function expectedTracking(framework: RealFramework, applied: AddedMigration[]): string[] {
  const base = (m: AddedMigration) => basename(m.file);
  switch (framework) {
    case 'alembic':
      return applied.length === 0 ? [] : [applied.at(-1)!.version];
    case 'knex':
      return applied.map(base);
    case 'node-pg-migrate':
      return applied.map((m) => base(m).replace(/\.js$/, ''));
    default:
      return applied.map((m) => m.version);
  }
}

export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface MigrationOptions {
  /**
   * false: the migration runs outside a transaction, by the framework's own opt-out (Rails
   * `disable_ddl_transaction!`, Alembic `autocommit_block()`, Django `atomic = False`, Knex
   * `exports.config = { transaction: false }`, node-pg-migrate `pgm.noTransaction()`), e.g. for
   * `CREATE INDEX CONCURRENTLY`.
   */
  transaction?: boolean;
}

export interface AddedMigration {
  /**
   * What the framework identifies the migration by: Rails / Knex the timestamp, node-pg-migrate the
   * millisecond timestamp, Alembic the revision id, Django the migration name (`0001_create_items`,
   * as django_migrations.name stores it).
   */
  version: string;
  /** Absolute path of the file written. */
  file: string;
}

export interface FrameworkApp {
  readonly framework: RealFramework;
  /** The app's root folder: run `command` here. */
  readonly root: string;
  /** Where this framework keeps its migration files. */
  readonly migrationsDir: string;
  /** The framework's own migrate command (argv), run with cwd = root. */
  readonly command: string[];
  /** Environment variables that point the app at `url` (added to a clean environment by appEnv). */
  env(url: string): Record<string, string>;
  /**
   * Writes the next migration in the framework's format. `name` is snake_case; `body` is the forward
   * direction in the framework's language (Rails: `change` body, Alembic: `upgrade()` body, Django: items of
   * `operations`, Knex: body of async `up(knex)`, node-pg-migrate: body of `up(pgm)`); `sql()` writes one.
   */
  addMigration(name: string, body: string, opts?: MigrationOptions): AddedMigration;
  /** A migration body that runs `statements` as raw SQL, the way this framework's users write it. */
  sql(statements: string): string;
  /** Removes the app's folder. */
  remove(): void;
}

const NAME = /^[a-z][a-z0-9_]*$/;

function checkName(name: string): void {
  if (!NAME.test(name)) throw new Error(`migration name must be snake_case ([a-z][a-z0-9_]*): ${name}`);
}

function newRoot(framework: RealFramework): string {
  return mkdtempSync(join(tmpdir(), `pgward-app-${framework}-`));
}

function write(root: string, rel: string, content: string): string {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

function indent(body: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return body
    .trim()
    .split('\n')
    .map((line) => (line.trim() === '' ? '' : pad + line))
    .join('\n');
}

/** YYYYMMDDHHMMSS, `n` seconds after 2024-01-01 00:00:00 UTC: Rails' and Knex's version format. */
function stamp(n: number): string {
  return new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString().replace(/\D/g, '').slice(0, 14);
}

/** A JSON string is also a valid Python and JavaScript string literal. */
const literal = (s: string) => JSON.stringify(s);

// ---------------------------------------------------------------------------------------------- Rails

const RAILS_FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\n\ngem "rails", "~> 6.1.0"\ngem "pg", "~> 1.1"\n',
  Rakefile: 'require_relative "config/application"\n\nRails.application.load_tasks\n',
  'bin/rails':
    '#!/usr/bin/env ruby\nAPP_PATH = File.expand_path("../config/application", __dir__)\n' +
    'require_relative "../config/boot"\nrequire "rails/commands"\n',
  // Debian's ruby-rails puts the gems on Ruby's load path: no Bundler, no Gemfile.lock at run time.
  'config/boot.rb':
    '# Debian ruby-rails: the gems are already on the load path, so no `require "bundler/setup"`.\n',
  // Only the Active Record railtie: a full `require "rails/all"` boot costs time the migrations never use.
  'config/application.rb': `require_relative "boot"

require "rails"
require "active_record/railtie"

module ShopApp
  class Application < Rails::Application
    config.load_defaults 6.1
    config.eager_load = false
    # As in production: no db/schema.rb written after each run.
    config.active_record.dump_schema_after_migration = false
  end
end
`,
  'config/environment.rb': 'require_relative "application"\n\nRails.application.initialize!\n',
  'config/environments/development.rb': 'Rails.application.configure do\n  config.eager_load = false\nend\n',
  // DATABASE_URL's keys are merged over this entry (Rails' documented precedence).
  'config/database.yml': `default: &default
  adapter: postgresql
  encoding: unicode
  pool: 5

development:
  <<: *default
  database: shop_development

production:
  <<: *default
  database: shop_production
`,
};

function railsClass(name: string): string {
  return name
    .split('_')
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** A Rails 6.1 app (Active Record only); `bin/rails db:migrate` honours DATABASE_URL. */
export function railsApp(): FrameworkApp {
  const root = newRoot('rails');
  for (const [rel, content] of Object.entries(RAILS_FILES)) write(root, rel, content);
  chmodSync(join(root, 'bin/rails'), 0o755);
  const migrationsDir = join(root, 'db', 'migrate');
  mkdirSync(migrationsDir, { recursive: true });
  let n = 0;
  return {
    framework: 'rails',
    root,
    migrationsDir,
    command: ['bin/rails', 'db:migrate'],
    env: (url) => ({ DATABASE_URL: url, RAILS_ENV: 'development' }),
    addMigration(name, body, opts = {}) {
      checkName(name);
      const version = stamp(++n);
      const optOut = opts.transaction === false ? '  disable_ddl_transaction!\n\n' : '';
      const src = `class ${railsClass(name)} < ActiveRecord::Migration[6.1]\n${optOut}  def change\n${indent(body, 4)}\n  end\nend\n`;
      return { version, file: write(migrationsDir, `${version}_${name}.rb`, src) };
    },
    // A single-quoted heredoc: no interpolation, the SQL goes to PostgreSQL exactly as written.
    sql: (statements) => `execute <<~'SQL'\n${statements.trim()}\nSQL`,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

// -------------------------------------------------------------------------------------------- Alembic

const ALEMBIC_INI = `[alembic]
script_location = alembic
prepend_sys_path = .
version_path_separator = os
# env.py prefers DATABASE_URL when it is set.
sqlalchemy.url = postgresql://localhost/shop

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
`;

// Alembic's generic template, with the common change: the URL comes from DATABASE_URL when it is set
// (passed to create_engine directly, so a '%' in a password never meets configparser's interpolation).
const ALEMBIC_ENV = `import os
from logging.config import fileConfig

from sqlalchemy import create_engine
from sqlalchemy import pool

from alembic import context

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name)

target_metadata = None


def database_url():
    return os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = create_engine(database_url(), poolclass=pool.NullPool)

    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
`;

const ALEMBIC_MAKO = readTemplate('/usr/lib/python3/dist-packages/alembic/templates/generic/script.py.mako');

function readTemplate(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '"""${message}"""\n'; // only `alembic revision` reads it; the tests write revisions themselves
  }
}

/** An Alembic 1.8 project (`alembic init alembic` layout); `python3 -m alembic upgrade head`. */
export function alembicApp(): FrameworkApp {
  const root = newRoot('alembic');
  write(root, 'alembic.ini', ALEMBIC_INI);
  write(root, 'alembic/env.py', ALEMBIC_ENV);
  write(root, 'alembic/script.py.mako', ALEMBIC_MAKO);
  write(root, 'alembic/README', 'Generic single-database configuration.\n');
  const migrationsDir = join(root, 'alembic', 'versions');
  mkdirSync(migrationsDir, { recursive: true });
  let n = 0;
  let head: string | undefined;
  return {
    framework: 'alembic',
    root,
    migrationsDir,
    command: [SYSTEM_PYTHON, '-m', 'alembic', 'upgrade', 'head'],
    env: (url) => ({ DATABASE_URL: url }),
    addMigration(name, body, opts = {}) {
      checkName(name);
      // Alembic's only per-migration opt-out: commit what ran so far, run the block in autocommit.
      const upgrade =
        opts.transaction === false ? `with op.get_context().autocommit_block():\n${indent(body, 4)}` : body;
      // 12 hex digits like Alembic's own uuid-based ids, but in order, so files sort as they chain.
      const revision = (0xa11e00000000 + ++n).toString(16);
      const src = `"""${name}

Revision ID: ${revision}
Revises: ${head ?? ''}
Create Date: 2024-01-01 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = ${literal(revision)}
down_revision = ${head === undefined ? 'None' : literal(head)}
branch_labels = None
depends_on = None


def upgrade() -> None:
${indent(upgrade, 4)}


def downgrade() -> None:
    pass
`;
      head = revision;
      return { version: revision, file: write(migrationsDir, `${revision}_${name}.py`, src) };
    },
    sql: (statements) => `op.execute(${literal(statements.trim())})`,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

// --------------------------------------------------------------------------------------------- Django

const DJANGO_MANAGE = `#!/usr/bin/env python3
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
`;

// The database comes from DATABASE_URL (the dj-database-url convention, parsed here without the package),
// else from the libpq variables PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD.
const DJANGO_SETTINGS = `import os
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "test-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["shop"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def database_from_env():
    url = os.environ.get("DATABASE_URL")
    if url:
        u = urlparse(url)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(u.path.lstrip("/")),
            "USER": unquote(u.username or ""),
            "PASSWORD": unquote(u.password or ""),
            "HOST": u.hostname or "",
            "PORT": str(u.port or ""),
        }
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "shop"),
        "USER": os.environ.get("PGUSER", ""),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        "HOST": os.environ.get("PGHOST", ""),
        "PORT": os.environ.get("PGPORT", ""),
    }


DATABASES = {"default": database_from_env()}
`;

/** A Django 3.2 project with one app (`shop`); `python3 manage.py migrate`. */
export function djangoApp(): FrameworkApp {
  const root = newRoot('django');
  write(root, 'manage.py', DJANGO_MANAGE);
  chmodSync(join(root, 'manage.py'), 0o755);
  write(root, 'shopsite/__init__.py', '');
  write(root, 'shopsite/settings.py', DJANGO_SETTINGS);
  write(root, 'shop/__init__.py', '');
  write(
    root,
    'shop/apps.py',
    'from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = "shop"\n',
  );
  write(root, 'shop/models.py', 'from django.db import models  # noqa: F401\n');
  const migrationsDir = join(root, 'shop', 'migrations');
  write(root, 'shop/migrations/__init__.py', '');
  let n = 0;
  let last: string | undefined;
  return {
    framework: 'django',
    root,
    migrationsDir,
    command: [SYSTEM_PYTHON, 'manage.py', 'migrate'],
    env: (url) => ({ DATABASE_URL: url }),
    addMigration(name, body, opts = {}) {
      checkName(name);
      const migration = `${String(++n).padStart(4, '0')}_${name}`;
      const atomic = opts.transaction === false ? '    atomic = False\n\n' : '';
      const src = `from django.db import migrations


class Migration(migrations.Migration):
${last === undefined ? '    initial = True\n\n' : ''}${atomic}    dependencies = [${last === undefined ? '' : `("shop", ${literal(last)})`}]

    operations = [
${indent(body, 8)}
    ]
`;
      last = migration;
      return { version: migration, file: write(migrationsDir, `${migration}.py`, src) };
    },
    sql: (statements) =>
      `migrations.RunSQL(${literal(statements.trim())}, reverse_sql=migrations.RunSQL.noop),`,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

// ------------------------------------------------------------------------------ Knex, node-pg-migrate

const requireHere = createRequire(import.meta.url);

/** The file of a package's `bin` entry in this repo's node_modules. */
export function packageBin(pkg: string, bin = pkg): string {
  const manifest = requireHere.resolve(`${pkg}/package.json`);
  const { bin: bins } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    bin: string | Record<string, string>;
  };
  const rel = typeof bins === 'string' ? bins : bins[bin];
  if (!rel) throw new Error(`${pkg} has no bin named ${bin}`);
  return join(dirname(manifest), rel);
}

/**
 * Links the app's node_modules to this repo's, as `npm install` in the app would provide them: the Knex CLI
 * insists on a knex it can resolve from the app's folder. Removing the app unlinks it, never follows it.
 */
function linkNodeModules(root: string): void {
  symlinkSync(dirname(dirname(requireHere.resolve('pg/package.json'))), join(root, 'node_modules'), 'dir');
}

const KNEXFILE = `// Knex reads its connection from the environment, as most deployed knexfiles do.
module.exports = {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: { directory: './migrations' },
};
`;

/** A Knex 3 app (CommonJS knexfile.js, migrations/*.js); `knex migrate:latest`. */
export function knexApp(): FrameworkApp {
  const root = newRoot('knex');
  write(root, 'knexfile.js', KNEXFILE);
  write(
    root,
    'package.json',
    `${JSON.stringify({ name: 'shop', private: true, scripts: { migrate: 'knex migrate:latest' }, dependencies: { knex: '^3.3.0', pg: '^8.0.0' } }, null, 2)}\n`,
  );
  linkNodeModules(root);
  const migrationsDir = join(root, 'migrations');
  mkdirSync(migrationsDir, { recursive: true });
  let n = 0;
  return {
    framework: 'knex',
    root,
    migrationsDir,
    command: [process.execPath, packageBin('knex'), 'migrate:latest'],
    env: (url) => ({ DATABASE_URL: url }),
    addMigration(name, body, opts = {}) {
      checkName(name);
      const version = stamp(++n);
      const config = opts.transaction === false ? 'exports.config = { transaction: false };\n\n' : '';
      const src = `${config}exports.up = async function (knex) {\n${indent(body, 2)}\n};\n\nexports.down = async function () {};\n`;
      return { version, file: write(migrationsDir, `${version}_${name}.js`, src) };
    },
    sql: (statements) => `await knex.raw(${literal(statements.trim())});`,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A node-pg-migrate 9 app (ES modules, migrations/*.js); `node-pg-migrate up` reads DATABASE_URL. */
export function nodePgMigrateApp(): FrameworkApp {
  const root = newRoot('node-pg-migrate');
  write(
    root,
    'package.json',
    `${JSON.stringify({ name: 'shop', private: true, type: 'module', scripts: { migrate: 'node-pg-migrate up' }, dependencies: { 'node-pg-migrate': '^9.0.0', pg: '^8.0.0' } }, null, 2)}\n`,
  );
  linkNodeModules(root);
  const migrationsDir = join(root, 'migrations');
  mkdirSync(migrationsDir, { recursive: true });
  let n = 0;
  return {
    framework: 'node-pg-migrate',
    root,
    migrationsDir,
    command: [process.execPath, packageBin('node-pg-migrate'), 'up'],
    env: (url) => ({ DATABASE_URL: url }),
    addMigration(name, body, opts = {}) {
      checkName(name);
      const up = opts.transaction === false ? `pgm.noTransaction();\n${body.trim()}` : body;
      // node-pg-migrate's own prefix: milliseconds since the epoch.
      const version = String(Date.UTC(2024, 0, 1) + ++n * 1000);
      const src = `export const shorthands = undefined;\n\nexport const up = async (pgm) => {\n${indent(up, 2)}\n};\n\nexport const down = false;\n`;
      return { version, file: write(migrationsDir, `${version}_${name}.js`, src) };
    },
    sql: (statements) => `pgm.sql(${literal(statements.trim())});`,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export const FRAMEWORK_APPS: Record<RealFramework, () => FrameworkApp> = {
  rails: railsApp,
  alembic: alembicApp,
  django: djangoApp,
  knex: knexApp,
  'node-pg-migrate': nodePgMigrateApp,
};

// ------------------------------------------------------------------------------------------- running

/** Variables that would point a framework at some other database, or change how it boots. */
const INHERITED_SETTINGS =
  /^(DATABASE_URL|PG[A-Z]+|RAILS_ENV|RACK_ENV|DJANGO_SETTINGS_MODULE|NODE_ENV|PGWARD_ENV)$/;

/** A clean copy of this process's environment, plus the app's variables for `url`. */
export function appEnv(
  app: FrameworkApp,
  url: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !INHERITED_SETTINGS.test(k)) env[k] = v;
  return { ...env, ...app.env(url), ...extra };
}

export interface AppRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** Runs `argv` (default: the app's migrate command) in the app's root, pointed at `url`. */
export function runApp(
  app: FrameworkApp,
  url: string,
  opts: { argv?: string[]; env?: Record<string, string> } = {},
): Promise<AppRun> {
  const [cmd, ...args] = opts.argv ?? app.command;
  const started = performance.now();
  const child = spawn(cmd!, args, { cwd: app.root, env: appEnv(app, url, opts.env), stdio: 'pipe' });
  return collect(child).then((r) => ({ ...r, ms: performance.now() - started }));
}
