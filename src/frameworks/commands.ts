// The command that runs each framework's pending migrations, and how it is pointed at the guard instead
// of the real database. Every framework gets DATABASE_URL and libpq's PG* variables; the ones that do
// not read them get their own setting (Alembic's sqlalchemy.url through a tiny driver, Django a settings
// module layered over the project's, Prisma the variable its schema names, Flyway FLYWAY_URL). The
// research note ../shared/research/frameworks-guard.md lists, per framework, which setting wins.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FrameworkName } from '../config/frameworks.js';
import { PgwardError } from '../errors.js';
import { djangoSettingsModule } from './discover-python.js';

/** Where the framework must connect: the guard's loopback endpoint and the run's one-time password. */
export interface Endpoint {
  url: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Every framework pgward can run behind the guard (django joins FRAMEWORKS with its status adapter). */
export type RunnableFramework = Exclude<FrameworkName, 'pgward'> | 'django';

export interface FrameworkCommand {
  argv: string[];
  env(endpoint: Endpoint): Record<string, string>;
  /** Removes what the command needed on disk (Django's settings layer). */
  cleanup(): void;
}

export interface CommandContext {
  root: string;
  dir: string;
  /** migrations.command from pgward.yaml: replaces the default argv (the env is still set). */
  override?: string[] | undefined;
}

// Like the alembic console script: the working directory is not on sys.path (a project's own
// alembic/ folder would shadow the package); alembic.ini's prepend_sys_path adds it back for env.py.
const ALEMBIC_DRIVER = `
import os, sys
sys.path = [p for p in sys.path if p not in ("", ".", os.getcwd())]
from alembic.config import Config
from alembic import command
cfg = Config(os.environ.get("ALEMBIC_CONFIG", "alembic.ini"))
cfg.set_main_option("sqlalchemy.url", os.environ["PGWARD_GUARD_URL"].replace("%", "%%"))
command.upgrade(cfg, "head")
`;

function commonEnv(e: Endpoint): Record<string, string> {
  return {
    DATABASE_URL: e.url,
    PGWARD_GUARD_URL: e.url,
    PGHOST: '127.0.0.1',
    PGPORT: String(e.port),
    PGUSER: e.user,
    PGPASSWORD: e.password,
    PGDATABASE: e.database,
    PGSSLMODE: 'disable',
  };
}

/** The first Python that can import `module` (PGWARD_PYTHON, python3, the system one). */
export function findPython(module: string): string {
  const candidates = [process.env.PGWARD_PYTHON, 'python3', '/usr/bin/python3', 'python'].filter(
    (c): c is string => !!c,
  );
  // find_spec locates the package without importing it: importing alembic or django costs ~0.5 s, paid
  // again by the real run (bench/frameworks measured the probe as most of pgward's fixed cost).
  const top = module.split('.')[0]!;
  const probe = `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(${JSON.stringify(top)}) else 1)`;
  for (const py of candidates) {
    // Probed away from the project: its own alembic/ folder would pass for the package.
    const r = spawnSync(py, ['-c', probe], { stdio: 'ignore', timeout: 20_000, cwd: tmpdir() });
    if (r.status === 0) return py;
  }
  throw new PgwardError(`no Python here can import ${module} (tried ${candidates.join(', ')})`, {
    hint: `install ${module} for your Python, or set PGWARD_PYTHON to the interpreter of your project's virtualenv`,
  });
}

/** A node_modules/.bin program of the project (or a parent folder, for monorepos). */
function localBin(root: string, name: string): string | undefined {
  for (let d = root; ; d = dirname(d)) {
    const p = join(d, 'node_modules', '.bin', name);
    if (existsSync(p)) return p;
    if (dirname(d) === d) return undefined;
  }
}

/** DJANGO_SETTINGS_MODULE as the environment or manage.py sets it. */
function settingsModuleOf(root: string): string {
  const managePy = join(root, 'manage.py');
  const text = existsSync(managePy) ? readFileSync(managePy, 'utf8') : '';
  const found = process.env.DJANGO_SETTINGS_MODULE ?? djangoSettingsModule(text);
  if (!found)
    throw new PgwardError(`cannot tell the Django settings module of ${root}`, {
      hint: 'set DJANGO_SETTINGS_MODULE, or keep the usual os.environ.setdefault line in manage.py',
    });
  return found;
}

function djangoCommand(ctx: CommandContext): FrameworkCommand {
  const layer = mkdtempSync(join(tmpdir(), 'pgward-django-'));
  const base = settingsModuleOf(ctx.root);
  // Layered over the project's own settings: only the default database's address changes.
  writeFileSync(
    join(layer, 'pgward_guard_settings.py'),
    [
      'import os',
      `from ${base} import *  # noqa`,
      'DATABASES = dict(DATABASES)',
      "DATABASES['default'] = dict(DATABASES['default'], ENGINE=DATABASES['default'].get('ENGINE', 'django.db.backends.postgresql'),",
      "    HOST='127.0.0.1', PORT=os.environ['PGPORT'], USER=os.environ['PGUSER'],",
      "    PASSWORD=os.environ['PGPASSWORD'], NAME=os.environ['PGDATABASE'],",
      "    OPTIONS=dict(DATABASES['default'].get('OPTIONS', {}), sslmode='disable'))",
      '',
    ].join('\n'),
  );
  const argv = ctx.override ?? [findPython('django'), 'manage.py', 'migrate', '--noinput'];
  return {
    argv,
    env: (e) => ({
      ...commonEnv(e),
      DJANGO_SETTINGS_MODULE: 'pgward_guard_settings',
      PYTHONPATH: [layer, ctx.root, process.env.PYTHONPATH].filter(Boolean).join(':'),
    }),
    cleanup: () => rmSync(layer, { recursive: true, force: true }),
  };
}

/** The variable schema.prisma reads the migrate URL from (directUrl wins, as for Prisma Migrate). */
function prismaUrlVariable(root: string, dir: string): string {
  const schema = [join(dirname(dir), 'schema.prisma'), join(root, 'prisma', 'schema.prisma')].find(
    existsSync,
  );
  const text = schema ? readFileSync(schema, 'utf8') : '';
  const direct = /directUrl\s*=\s*env\(\s*"([^"]+)"\s*\)/.exec(text);
  const url = /\burl\s*=\s*env\(\s*"([^"]+)"\s*\)/.exec(text);
  return direct?.[1] ?? url?.[1] ?? 'DATABASE_URL';
}

function simple(argv: string[], extra: (e: Endpoint) => Record<string, string> = () => ({})) {
  return (ctx: CommandContext): FrameworkCommand => ({
    argv: ctx.override ?? argv,
    env: (e) => ({ ...commonEnv(e), ...extra(e) }),
    cleanup: () => {},
  });
}

/** The command that applies `framework`'s pending migrations in the project at `ctx.root`. */
export function frameworkCommand(framework: RunnableFramework, ctx: CommandContext): FrameworkCommand {
  const bin = (name: string, fallback: string[]) => {
    const local = localBin(ctx.root, name);
    return local ? [local] : fallback;
  };
  switch (framework) {
    case 'rails':
      return simple(
        existsSync(join(ctx.root, 'bin', 'rails')) ? ['bin/rails', 'db:migrate'] : ['rails', 'db:migrate'],
      )(ctx);
    case 'alembic':
      return ctx.override
        ? simple(ctx.override)(ctx)
        : simple([findPython('alembic.config'), '-c', ALEMBIC_DRIVER])(ctx);
    case 'django':
      return djangoCommand(ctx);
    case 'knex':
      return simple([...bin('knex', ['npx', 'knex']), 'migrate:latest'])(ctx);
    case 'node-pg-migrate':
      return simple([...bin('node-pg-migrate', ['npx', 'node-pg-migrate']), 'up', '-m', ctx.dir])(ctx);
    case 'prisma': {
      const variable = prismaUrlVariable(ctx.root, ctx.dir);
      return simple([...bin('prisma', ['npx', 'prisma']), 'migrate', 'deploy'], (e) => ({
        [variable]: e.url,
      }))(ctx);
    }
    case 'flyway':
      return simple(['flyway', 'migrate'], (e) => ({
        FLYWAY_URL: `jdbc:postgresql://127.0.0.1:${e.port}/${e.database}?sslmode=disable`,
        FLYWAY_USER: e.user,
        FLYWAY_PASSWORD: e.password,
      }))(ctx);
    case 'golang-migrate':
      // golang-migrate reads its URL only from -database, so the guard's URL is in its argv: it carries
      // the run's one-time password (valid on loopback, for this run), never the database's.
      return {
        argv: ctx.override ?? ['sh', '-c', 'exec migrate -path "$0" -database "$DATABASE_URL" up', ctx.dir],
        env: commonEnv,
        cleanup: () => {},
      };
    case 'dbmate':
      return simple(['dbmate', '--migrations-dir', ctx.dir, '--no-dump-schema', 'up'])(ctx);
  }
}
