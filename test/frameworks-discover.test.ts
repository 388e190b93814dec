// Layout discovery on temp trees laid out like real projects (Rails, Alembic, Django, Prisma, a monorepo,
// Knex, node-pg-migrate, Flyway, golang-migrate), the source pgward settles on when nobody names a folder,
// and the CLI around it: status without --dir, a missing folder as one error, lint of a folder without SQL.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { resolveMigrationsSource } from '../src/config/target.js';
import { UsageError } from '../src/errors.js';
import { discoverLayouts, type FrameworkLayout } from '../src/frameworks/discover.js';
import { locateMigrations } from '../src/frameworks/locate.js';
import { initProject } from '../src/migrate/scaffold.js';
import { createTestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';

/** A temp tree removed when the test ends. */
function tree(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = makeProject(files);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Framework and folder relative to the tree, the part of a layout the tests pin down. */
function brief(root: string, layouts: FrameworkLayout[]): [string, string, string][] {
  const rel = (p: string) => (p === root ? '.' : p.slice(root.length + 1));
  return layouts.map((l) => [l.framework, rel(l.root), rel(l.dir)]);
}

const RAILS = {
  Gemfile: "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\n",
  'config/application.rb': 'module Shop; class Application < Rails::Application; end; end\n',
  'db/migrate/20240101000000_create_users.rb':
    'class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n    create_table :users\n  end\nend\n',
  'db/migrate/20240102000000_add_email_to_users.rb':
    'class AddEmailToUsers < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :email, :string\n  end\nend\n',
  'db/schema.rb': 'ActiveRecord::Schema[7.1].define(version: 2024_01_02_000000) do\nend\n',
  'vendor/bundle/ruby/3.1.0/gems/x/Gemfile': '',
  'vendor/bundle/ruby/3.1.0/gems/x/db/migrate/1_x.rb': '',
};

const ALEMBIC_REV = (rev: string, down: string) =>
  `"""${rev}"""\nrevision = '${rev}'\ndown_revision = ${down}\nbranch_labels = None\n\ndef upgrade():\n    pass\n`;

test('Rails: Gemfile + db/migrate; vendored gems are not searched', (t) => {
  const root = tree(t, RAILS);
  const found = discoverLayouts(root);
  assert.deepEqual(brief(root, found), [['rails', '.', 'db/migrate']]);
  assert.match(found[0]!.evidence, /Gemfile \+ db\/migrate \(2 migrations\)/);
});

test('Alembic: script_location with %(here)s, a relative one, and version_locations', (t) => {
  const here = tree(t, {
    'alembic.ini':
      '[alembic]\nscript_location = %(here)s/db/alembic\nsqlalchemy.url = driver://u@h/db\n\n[loggers]\nkeys = root\n',
    'db/alembic/env.py': '',
    'db/alembic/versions/a1_init.py': ALEMBIC_REV('a1', 'None'),
  });
  const [l] = discoverLayouts(here);
  assert.deepEqual(brief(here, [l!]), [['alembic', '.', 'db/alembic/versions']]);
  assert.equal(l!.evidence, 'alembic.ini script_location = %(here)s/db/alembic');
  assert.equal(l!.details.alembicIni, join(here, 'alembic.ini'));

  const relative = tree(t, {
    'service/alembic.ini': '[alembic]\n# the folder\nscript_location: migrations\n',
    'service/migrations/versions/b2_x.py': ALEMBIC_REV('b2', 'None'),
  });
  assert.deepEqual(brief(relative, discoverLayouts(relative)), [
    ['alembic', 'service', 'service/migrations/versions'],
  ]);
  const versions = tree(t, {
    'alembic.ini': '[alembic]\nscript_location = alembic\nversion_locations = %(here)s/revisions\n',
  });
  assert.deepEqual(brief(versions, discoverLayouts(versions)), [['alembic', '.', 'revisions']]);
  const pyproject = tree(t, {
    'pyproject.toml': '[project]\nname = "svc"\n\n[tool.alembic]\nscript_location = "%(here)s/alembic"\n',
    'alembic/versions/c3_x.py': ALEMBIC_REV('c3', 'None'),
  });
  const [pp] = discoverLayouts(pyproject);
  assert.deepEqual(brief(pyproject, [pp!]), [['alembic', '.', 'alembic/versions']]);
  assert.equal(pp!.evidence, 'pyproject.toml [tool.alembic] script_location = %(here)s/alembic');
  // Flask-Migrate (redash): alembic.ini inside migrations/, no script_location, env.py beside it.
  const flask = tree(t, {
    'migrations/alembic.ini':
      '# A generic, single database configuration.\n\n[alembic]\n# file_template = %%(rev)s\n\n[loggers]\nkeys = root\n',
    'migrations/env.py': 'from flask import current_app\n',
    'migrations/versions/0ec979123ba4_.py': ALEMBIC_REV('0ec979123ba4', 'None'),
  });
  const [f] = discoverLayouts(flask);
  assert.deepEqual(brief(flask, [f!]), [['alembic', '.', 'migrations/versions']]);
  assert.match(f!.evidence, /Flask-Migrate/);
});

const DJANGO_MANAGE = (settings: string) =>
  `#!/usr/bin/env python\nimport os\nimport sys\n\n\ndef main():\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "${settings}")\n    from django.core.management import execute_from_command_line\n    execute_from_command_line(sys.argv)\n\n\nif __name__ == "__main__":\n    main()\n`;

test('Django: manage.py settings module and every app migrations package, virtualenvs skipped', (t) => {
  const root = tree(t, {
    'manage.py': DJANGO_MANAGE('shopsite.settings'),
    'shopsite/__init__.py': '',
    'shopsite/settings.py': 'INSTALLED_APPS = []\n',
    'users/__init__.py': '',
    'users/migrations/__init__.py': '',
    'users/migrations/0001_initial.py': 'class Migration: pass\n',
    'apps/orders/__init__.py': '',
    'apps/orders/migrations/__init__.py': '',
    'apps/orders/migrations/0001_initial.py': 'class Migration: pass\n',
    'apps/orders/migrations/0002_order_total.py': 'class Migration: pass\n',
    'pages/migrations/README.txt': 'not a package',
    '.venv/lib/python3.11/site-packages/django/contrib/auth/migrations/__init__.py': '',
    '.venv/lib/python3.11/site-packages/django/contrib/auth/migrations/0001_initial.py': '',
  });
  const found = discoverLayouts(root);
  assert.deepEqual(brief(root, found), [['django', '.', '.']]);
  assert.equal(found[0]!.details.djangoSettings, 'shopsite.settings');
  assert.equal(found[0]!.details.djangoApps, 'orders=apps/orders/migrations,users=users/migrations');
  assert.match(
    found[0]!.evidence,
    /manage\.py \(shopsite\.settings\) \+ 2 app migrations packages \(orders, users\)/,
  );
});

test('Prisma: package.json prisma.schema, url/directUrl env vars (directUrl wins for migrate)', (t) => {
  const root = tree(t, {
    'package.json': JSON.stringify({ name: 'app', prisma: { schema: 'db/schema.prisma' } }),
    'db/schema.prisma':
      'datasource db {\n  provider  = "postgresql"\n  url       = env("DATABASE_URL")\n  directUrl = env("DIRECT_URL")\n}\n',
    'db/migrations/migration_lock.toml': 'provider = "postgresql"\n',
    'db/migrations/20240101000000_init/migration.sql': 'CREATE TABLE "User" (id int);\n',
  });
  const found = discoverLayouts(root);
  assert.deepEqual(brief(root, found), [['prisma', '.', 'db/migrations']]);
  assert.equal(found[0]!.details.prismaUrlEnv, 'DIRECT_URL');
  assert.equal(found[0]!.details.prismaPooledUrlEnv, 'DATABASE_URL');
  assert.equal(found[0]!.evidence, 'package.json prisma.schema = db/schema.prisma');
  // Prisma 6+ (hoppscotch, formbricks): prisma.config.ts names the schema, migrations.path and the env vars.
  const configured = tree(t, {
    'prisma.config.ts':
      "import { defineConfig, env } from 'prisma/config';\nexport default defineConfig({\n  schema: 'db/prisma',\n  migrations: { path: 'db/prisma-migrations' },\n  datasource: { url: env('POOLED_URL'), directUrl: process.env.MIGRATE_URL },\n});\n",
    'db/prisma/main.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
    'db/prisma-migrations/1_init/migration.sql': 'SELECT 1;\n',
  });
  const [c] = discoverLayouts(configured);
  assert.deepEqual(brief(configured, [c!]), [['prisma', '.', 'db/prisma-migrations']]);
  assert.equal(c!.details.prismaUrlEnv, 'MIGRATE_URL');
  assert.equal(c!.details.prismaPooledUrlEnv, 'POOLED_URL');
});

test('monorepo: apps/api/prisma is found once, from its package; node_modules is never searched', (t) => {
  const root = tree(t, {
    'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['apps/*'] }),
    'apps/api/package.json': JSON.stringify({ name: 'api', dependencies: { '@prisma/client': '5' } }),
    'apps/api/prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("API_DB")\n}\n',
    'apps/api/prisma/migrations/20240101000000_init/migration.sql': 'SELECT 1;\n',
    'apps/web/package.json': JSON.stringify({ name: 'web' }),
    'node_modules/some-lib/knexfile.js': 'module.exports = {}',
    'node_modules/.prisma/client/schema.prisma': '',
  });
  const found = discoverLayouts(root);
  assert.deepEqual(brief(root, found), [['prisma', 'apps/api', 'apps/api/prisma/migrations']]);
  assert.equal(found[0]!.details.prismaUrlEnv, 'API_DB');
});

test('Knex: a literal migrations.directory (path.join(__dirname, …) too), else ./migrations', (t) => {
  const joined = tree(t, {
    'knexfile.js':
      "const path = require('path');\nmodule.exports = {\n  client: 'pg',\n  connection: process.env.DATABASE_URL,\n  migrations: { directory: path.join(__dirname, 'db', 'knex'), tableName: 'knex_migrations' },\n};\n",
    'db/knex/20240101_init.js': 'exports.up = (knex) => knex.schema.createTable("a", () => {});\n',
  });
  const [l] = discoverLayouts(joined);
  assert.deepEqual(brief(joined, [l!]), [['knex', '.', 'db/knex']]);
  assert.equal(l!.details.knexfile, join(joined, 'knexfile.js'));
  const plain = tree(t, { 'knexfile.ts': 'export default { client: "pg", connection: process.env.PG };\n' });
  const [p] = discoverLayouts(plain);
  assert.deepEqual(brief(plain, [p!]), [['knex', '.', 'migrations']]);
  assert.match(p!.evidence, /default \.\/migrations/);
});

test('node-pg-migrate: the dependency, and -m in a package.json script', (t) => {
  const root = tree(t, {
    'package.json': JSON.stringify({
      name: 'svc',
      scripts: { migrate: 'node-pg-migrate -m db/pgm up' },
      devDependencies: { 'node-pg-migrate': '^7' },
    }),
    'db/pgm/1700000000000_init.js': 'exports.up = (pgm) => { pgm.createTable("a", {}); };\n',
  });
  const [l] = discoverLayouts(root);
  assert.deepEqual(brief(root, [l!]), [['node-pg-migrate', '.', 'db/pgm']]);
  assert.equal(l!.evidence, 'package.json scripts.migrate -m db/pgm');
  const dep = tree(t, {
    'package.json': JSON.stringify({ dependencies: { 'node-pg-migrate': '7' } }),
    'migrations/1700000000000_init.sql': 'CREATE TABLE a ();\n',
  });
  assert.deepEqual(brief(dep, discoverLayouts(dep)), [['node-pg-migrate', '.', 'migrations']]);
  // The dependency alone (a tool's devDependency) with no migrations folder is no project of its.
  const bare = tree(t, { 'package.json': JSON.stringify({ devDependencies: { 'node-pg-migrate': '7' } }) });
  assert.deepEqual(discoverLayouts(bare), []);
});

test('Flyway: flyway.toml and flyway.conf locations (filesystem: and classpath:), default sql/', (t) => {
  const toml = tree(t, {
    'flyway.toml':
      '[environments.default]\nurl = "jdbc:postgresql://localhost/db"\n\n[flyway]\nlocations = ["filesystem:database/migrations"]\n',
    'database/migrations/V1__init.sql': 'CREATE TABLE a (id int);\n',
  });
  assert.deepEqual(brief(toml, discoverLayouts(toml)), [['flyway', '.', 'database/migrations']]);
  const conf = tree(t, {
    'conf/flyway.conf': 'flyway.url=jdbc:postgresql://x/db\nflyway.locations=classpath:db/migration\n',
  });
  assert.deepEqual(brief(conf, discoverLayouts(conf)), [['flyway', '.', 'src/main/resources/db/migration']]);
  const bare = tree(t, { 'flyway.conf': 'flyway.url=jdbc:postgresql://x/db\n' });
  assert.deepEqual(brief(bare, discoverLayouts(bare)), [['flyway', '.', 'sql']]);
});

test('golang-migrate: folders of .up.sql/.down.sql pairs, rooted at go.mod', (t) => {
  const root = tree(t, {
    'go.mod': 'module example.com/flipt\n',
    'internal/storage/sql/migrations/postgres/1_init.up.sql': 'CREATE TABLE a (id int);\n',
    'internal/storage/sql/migrations/postgres/1_init.down.sql': 'DROP TABLE a;\n',
    'db/migrations/000001_users.up.sql': 'CREATE TABLE u (id int);\n',
    'db/migrations/000001_users.down.sql': 'DROP TABLE u;\n',
  });
  // flipt's layout: internal/storage/sql/migrations/postgres is 5 levels down.
  assert.deepEqual(brief(root, discoverLayouts(root)), [
    ['golang-migrate', '.', 'db/migrations'],
    ['golang-migrate', '.', 'internal/storage/sql/migrations/postgres'],
  ]);
});

test('locate: no --dir and no migrations.dir → the one layout; pgward files in db/migrations win', (t) => {
  const rails = tree(t, RAILS);
  // resolveMigrationsSource takes the process cwd as root: give it the tree, as a pgward.yaml there would.
  const fromTree = locateMigrations({ ...resolveMigrationsSource(undefined), root: rails }, rails);
  assert.equal(fromTree.framework, 'rails');
  assert.equal(fromTree.dir, join(rails, 'db/migrate'));
  assert.equal(fromTree.origin, 'discovered');
  assert.equal(fromTree.layout?.framework, 'rails');

  const both = tree(t, { ...RAILS, 'db/migrations/20240101000000_a.sql': '-- migrate:up\nSELECT 1;\n' });
  const pgwardFirst = locateMigrations(
    { dir: join(both, 'db/migrations'), framework: 'auto', table: undefined, origin: 'default', root: both },
    both,
  );
  assert.equal(pgwardFirst.dir, join(both, 'db/migrations'));
  assert.equal(pgwardFirst.layout, undefined);

  const fresh = tree(t, { 'README.md': '# nothing here' });
  const none = locateMigrations(
    {
      dir: join(fresh, 'db/migrations'),
      framework: 'auto',
      table: undefined,
      origin: 'default',
      root: fresh,
    },
    fresh,
  );
  assert.equal(none.framework, 'auto', 'a fresh pgward project keeps the default');
});

test('locate: several layouts → one error listing them; --framework or the working directory chooses', (t) => {
  const root = tree(t, {
    ...RAILS,
    'knexfile.js': "module.exports = { migrations: { directory: './knex' } };\n",
    'knex/1_a.js': 'exports.up = () => {};\n',
  });
  const base = { dir: join(root, 'db/migrations'), table: undefined, origin: 'default' as const, root };
  assert.throws(
    () => locateMigrations({ ...base, framework: 'auto' }, root),
    (e: unknown) =>
      e instanceof UsageError &&
      /found several migration setups: rails in db\/migrate \(.*\); knex in knex \(knexfile\.js/.test(
        e.message,
      ) &&
      /--framework rails\|knex or --dir <folder>/.test(e.hint ?? ''),
  );
  assert.equal(locateMigrations({ ...base, framework: 'knex' }, root).dir, join(root, 'knex'));

  const mono = tree(t, {
    'apps/api/prisma/schema.prisma': '',
    'apps/api/prisma/migrations/1_a/migration.sql': '',
    'apps/admin/prisma/schema.prisma': '',
    'apps/admin/prisma/migrations/1_a/migration.sql': '',
  });
  const api = join(mono, 'apps/api');
  const picked = locateMigrations(
    { ...base, dir: join(api, 'db/migrations'), framework: 'auto', root: api },
    api,
  );
  assert.equal(picked.dir, join(api, 'prisma/migrations'));
  assert.throws(() => locateMigrations({ ...base, framework: 'prisma', root: mono }, mono), /several/);
});

test('invariant: a framework whose migrations folder is missing is an error, never rows of "missing"', async (t) => {
  const empty = tree(t, { 'README.md': '' });
  const base = { table: undefined, root: empty };
  // Given framework, default folder, nothing found: the error names what was searched.
  assert.throws(
    () =>
      locateMigrations(
        { ...base, dir: join(empty, 'db/migrations'), framework: 'prisma', origin: 'default' },
        empty,
      ),
    (e: unknown) =>
      e instanceof UsageError &&
      /^no prisma migrations found: searched \. and its subfolders \(depth 3\) for schema\.prisma.*db\/migrations does not exist$/.test(
        e.message,
      ) &&
      /--dir/.test(e.hint ?? ''),
  );
  // Given folder that does not exist (flag or pgward.yaml).
  for (const origin of ['flag', 'config'] as const)
    assert.throws(
      () => locateMigrations({ ...base, dir: join(empty, 'db/migrate'), framework: 'rails', origin }, empty),
      /rails migrations folder db\/migrate does not exist/,
    );
  // A layout whose folder is not there yet.
  const noMigrations = tree(t, { 'prisma/schema.prisma': 'datasource db {\n url = env("X")\n}\n' });
  assert.throws(
    () =>
      locateMigrations(
        {
          ...base,
          root: noMigrations,
          dir: join(noMigrations, 'db/migrations'),
          framework: 'auto',
          origin: 'default',
        },
        noMigrations,
      ),
    /prisma migrations folder prisma\/migrations does not exist \(found prisma\/schema\.prisma/,
  );

  // The CLI, on a database that Prisma has migrated 3 times: exit 2, one error, not one row of "missing".
  const db = await createTestDatabase();
  await db.query(`CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL,
    finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz,
    started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count int NOT NULL DEFAULT 0)`);
  for (const n of ['1_a', '2_b', '3_c'])
    await db.query(
      "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES ($1, 'x', now(), $1)",
      [n],
    );
  const runs = [
    ['status', '--url', db.url, '--framework', 'prisma'],
    ['status', '--url', db.url, '--framework', 'prisma', '--dir', 'prisma/migrations'],
    ['status', '--url', db.url, '--framework', 'prisma', '--dir', '.'], // exists, holds none of them
    ['status', '--url', db.url, '--framework', 'prisma', '--json'],
  ];
  for (const args of runs) {
    const r = await runCli(args, { cwd: empty });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /missing/, args.join(' '));
    assert.match(r.stderr, /^error: .*prisma.*\n {2}hint: .*--dir/, args.join(' '));
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
  }
  // Control: the same database with the right folder is read normally (exit 0, three applied).
  const right = tree(t, {
    'prisma/schema.prisma': '',
    'prisma/migrations/1_a/migration.sql': '',
    'prisma/migrations/2_b/migration.sql': '',
    'prisma/migrations/3_c/migration.sql': '',
  });
  await db.query("UPDATE _prisma_migrations SET checksum = encode(sha256(''::bytea), 'hex')");
  const ok = await runCli(['status', '--url', db.url, '--json'], { cwd: right });
  assert.equal(ok.code, 0, ok.stderr);
  const doc = JSON.parse(ok.stdout);
  assert.equal(doc.framework, 'prisma');
  assert.equal(doc.dir, 'prisma/migrations');
  assert.equal(doc.counts.applied, 3);
});

test('status without --dir finds a Rails project and reads schema_migrations', async (t) => {
  const root = tree(t, RAILS);
  const db = await createTestDatabase();
  await db.query('CREATE TABLE schema_migrations (version varchar NOT NULL PRIMARY KEY)');
  await db.query('CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar)');
  await db.query("INSERT INTO schema_migrations VALUES ('20240101000000')");
  const r = await runCli(['status', '--url', db.url, '--json'], { cwd: root });
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.framework, 'rails');
  assert.equal(doc.dir, 'db/migrate');
  assert.deepEqual(
    doc.entries.map((e: { version: string; state: string }) => [e.version, e.state]),
    [
      ['20240101000000', 'applied'],
      ['20240102000000', 'pending'],
    ],
  );
  // From a subfolder with pgward.yaml at the root naming no dir, the same.
  const human = await runCli(['status', '--url', db.url], { cwd: root });
  assert.match(human.stdout, /rails · schema_migrations · db\/migrate/);
});

test('invariant: lint never reports "no problems" having checked nothing', async (t) => {
  const root = tree(t, {
    ...RAILS,
    'migrations/versions/a1_init.py': ALEMBIC_REV('a1', 'None'),
    'migrations/versions/b2_next.py': ALEMBIC_REV('b2', "'a1'"),
    'migrations/env.py': 'from alembic import context\n',
    'knex/20240101_init.js': 'exports.up = (knex) => knex.schema.createTable("a", () => {});\n',
    'empty/.keep': '',
    'sql/1_ok.sql': 'CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\n',
  });
  const cases: [string[], RegExp][] = [
    [
      ['db/migrate'],
      /^error: db\/migrate holds 2 Rails migrations \(\.rb\), no SQL: check them with `pgward plan`$/m,
    ],
    [['migrations/versions'], /^error: migrations\/versions holds 2 Alembic revisions \(\.py\), no SQL/m],
    [['knex'], /^error: knex holds 1 Knex migrations \(\.js\), no SQL/m],
    [['empty'], /^error: empty holds no \.sql files: nothing was linted$/m],
    [['sql', 'db/migrate'], /db\/migrate holds 2 Rails migrations/],
    [[], /db\/migrate holds 2 Rails migrations/], // no path: the discovered Rails folder
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['lint', ...args], { cwd: root });
    assert.equal(r.code, 2, `lint ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stdout, /no problems/i);
  }
  // Control: a folder of SQL is linted and passes.
  const ok = await runCli(['lint', 'sql'], { cwd: root });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /no problems/i);
});

test('init writes the layout it found (framework and relative dir) and status then reads it', async (t) => {
  const root = tree(t, RAILS);
  const r = await runCli(['init'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /found rails migrations in db\/migrate \(Gemfile/);
  const yaml = readFileSync(join(root, 'pgward.yaml'), 'utf8');
  assert.match(yaml, /^ {2}dir: "db\/migrate"$/m);
  assert.match(yaml, /^ {2}framework: rails$/m);
  assert.ok(!existsSync(join(root, 'db/migrations')), 'no pgward folder made in a Rails project');
  const db = await createTestDatabase();
  const s = await runCli(['status', '--json'], { cwd: root, env: { DATABASE_URL: db.url } });
  assert.equal(s.code, 3, s.stderr);
  assert.equal(JSON.parse(s.stdout).framework, 'rails');
  const made = await runCli(['new', 'x'], { cwd: root });
  assert.equal(made.code, 2, 'pgward new never writes .sql into a Rails folder');
  assert.match(made.stderr, /pgward new writes pgward migrations, but this project's migrations are rails's/);
});

test('init with several setups lists them in pgward.yaml as comments and records none; one at the root wins', (t) => {
  const root = tree(t, {
    'apps/api/prisma/schema.prisma': '',
    'apps/api/prisma/migrations/1_a/migration.sql': '',
    'apps/billing/knexfile.js': "module.exports = { migrations: { directory: './db' } };\n",
  });
  const r = initProject(root);
  assert.equal(r.framework, 'auto');
  assert.deepEqual(
    r.candidates.map((l) => l.framework),
    ['prisma', 'knex'],
  );
  const yaml = readFileSync(join(root, 'pgward.yaml'), 'utf8');
  assert.match(
    yaml,
    /^ {2}# {3}framework: prisma {2}dir: apps\/api\/prisma\/migrations {2}\(prisma\/schema\.prisma\)$/m,
  );
  assert.match(
    yaml,
    /^ {2}# {3}framework: knex {2}dir: apps\/billing\/db {2}\(knexfile\.js migrations\.directory = db\)$/m,
  );
  assert.match(yaml, /^ {2}framework: auto$/m);
  // The written file is valid pgward.yaml.
  assert.equal(loadConfig(join(root, 'pgward.yaml')).raw.migrations?.framework, 'auto');

  const django = tree(t, {
    'manage.py': DJANGO_MANAGE('site_cfg.settings'),
    'shop/migrations/__init__.py': '',
    'shop/migrations/0001_initial.py': '',
    'frontend/package.json': JSON.stringify({ devDependencies: { 'node-pg-migrate': '7' } }),
  });
  const d = initProject(django);
  assert.equal(d.framework, 'django');
  const cfg = loadConfig(join(django, 'pgward.yaml'));
  assert.equal(cfg.raw.migrations?.framework, 'django');
  assert.equal(cfg.raw.migrations?.dir, '.');
  assert.ok(!existsSync(join(django, 'db')), 'no db/migrations made for a Django project');
});
