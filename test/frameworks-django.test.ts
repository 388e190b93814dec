// The Django adapter against a real Django (Debian python3-django, psycopg2): a tiny project whose
// `manage.py migrate` fills django_migrations on the test database, then status read-only, from the
// library adapter and from the CLI finding the project by itself (manage.py + the apps' packages).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { latestMigration } from '../src/backup/snapshot.js';
import { connect } from '../src/db/connect.js';
import { django } from '../src/frameworks/django.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';

const PYTHON = '/usr/bin/python3';

const MANAGE = `#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopsite.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
`;

// The connection comes from the environment, so no password is written into the project.
const SETTINGS = `import os
SECRET_KEY = "test-only"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "shop", "blog"]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ["T_DB_NAME"], "USER": os.environ["T_DB_USER"], "PASSWORD": os.environ["T_DB_PASSWORD"],
    "HOST": os.environ["T_DB_HOST"], "PORT": os.environ["T_DB_PORT"],
}}
`;

const MIGRATION = (deps: string, ops: string) => `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [${deps}]
    operations = [${ops}]
`;

const FILES = {
  'manage.py': MANAGE,
  'shopsite/__init__.py': '',
  'shopsite/settings.py': SETTINGS,
  'shop/__init__.py': '',
  'shop/models.py':
    'from django.db import models\n\n\nclass Item(models.Model):\n    name = models.CharField(max_length=50)\n    price = models.IntegerField(default=0)\n',
  'shop/migrations/__init__.py': '',
  'shop/migrations/0001_initial.py': MIGRATION(
    '',
    "migrations.CreateModel(name='Item', fields=[('id', models.AutoField(primary_key=True)), ('name', models.CharField(max_length=50))])",
  ),
  'shop/migrations/0002_item_price.py': MIGRATION(
    "('shop', '0001_initial')",
    "migrations.AddField(model_name='item', name='price', field=models.IntegerField(default=0))",
  ),
  'blog/__init__.py': '',
  'blog/models.py':
    'from django.db import models\n\n\nclass Post(models.Model):\n    title = models.TextField()\n',
  'blog/migrations/__init__.py': '',
  'blog/migrations/0001_initial.py': MIGRATION(
    '',
    "migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True)), ('title', models.TextField())])",
  ),
};

function manage(dir: string, db: TestDatabase, ...args: string[]): void {
  const u = new URL(db.url);
  const r = spawnSync(PYTHON, ['manage.py', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      T_DB_NAME: u.pathname.slice(1),
      T_DB_USER: decodeURIComponent(u.username),
      T_DB_PASSWORD: decodeURIComponent(u.password),
      T_DB_HOST: u.hostname,
      T_DB_PORT: u.port,
    },
  });
  assert.equal(r.status, 0, `manage.py ${args.join(' ')}: ${r.stderr}`);
}

test('django: real manage.py migrate; app.name versions, other apps left out, squash, missing', async (t) => {
  const dir = makeProject(FILES);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = await createTestDatabase();
  manage(dir, db, 'migrate', 'shop', '0001');
  manage(dir, db, 'migrate', 'blog');
  manage(dir, db, 'migrate', 'contenttypes');

  const client = await connect(db.url);
  t.after(() => client.end());
  await client.query('SET default_transaction_read_only = on');
  const states = async () =>
    (await django.status(client, dir)).entries.map((e) => [e.version, e.name, e.state, e.file ?? '']);
  // contenttypes' rows are Django's own files, not this project's: neither listed nor "missing".
  assert.deepEqual(await states(), [
    ['blog.0001_initial', 'initial', 'applied', 'blog/migrations/0001_initial.py'],
    ['shop.0001_initial', 'initial', 'applied', 'shop/migrations/0001_initial.py'],
    ['shop.0002_item_price', 'item_price', 'pending', 'shop/migrations/0002_item_price.py'],
  ]);
  assert.equal(await django.detectDatabase(client), true);
  assert.equal(django.detectFiles(dir), true);
  // One app's migrations folder alone works too.
  const one = await django.status(client, join(dir, 'shop', 'migrations'));
  assert.deepEqual(
    one.entries.map((e) => e.state),
    ['applied', 'pending'],
  );

  // The CLI finds the project by itself (no --dir, no pgward.yaml) and exits 3: one pending.
  const r = await runCli(['status', '--url', db.url, '--json'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.framework, 'django');
  assert.equal(doc.trackingTable, 'django_migrations');
  assert.deepEqual(doc.pending, [{ version: 'shop.0002_item_price', name: 'item_price' }]);

  manage(dir, db, 'migrate', 'shop');
  const done = await runCli(['status', '--url', db.url], { cwd: dir });
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.match(done.stdout, /django · django_migrations · \./);
  // A backup's manifest names the latest Django migration too.
  await client.query('BEGIN');
  assert.deepEqual(await latestMigration(client), {
    table: 'django_migrations',
    version: 'shop.0002_item_price',
  });
  await client.query('ROLLBACK');

  // Squashing shop: the two old files replaced by one; rows of the replaced ones are history, and the
  // squash counts as applied because everything it replaces is.
  const { writeFile } = await import('./harness/project.js');
  writeFile(
    dir,
    'shop/migrations/0001_squashed_0002_item_price.py',
    `${MIGRATION('', '')}    replaces = [("shop", "0001_initial"), ("shop", "0002_item_price")]\n`,
  );
  unlinkSync(join(dir, 'shop/migrations/0001_initial.py'));
  unlinkSync(join(dir, 'shop/migrations/0002_item_price.py'));
  assert.deepEqual(await states(), [
    ['blog.0001_initial', 'initial', 'applied', 'blog/migrations/0001_initial.py'],
    [
      'shop.0001_squashed_0002_item_price',
      'squashed_0002_item_price',
      'applied',
      'shop/migrations/0001_squashed_0002_item_price.py',
    ],
  ]);
  // A recorded migration of a project app whose file is gone is missing (exit 4).
  await db.query("INSERT INTO django_migrations (app, name, applied) VALUES ('blog', '0002_gone', now())");
  assert.deepEqual((await states())[1], ['blog.0002_gone', 'gone', 'missing', '']);
  const missing = await runCli(['status', '--url', db.url], { cwd: dir });
  assert.equal(missing.code, 4, missing.stdout + missing.stderr);
});
