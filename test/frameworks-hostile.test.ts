// A framework project attacked the ways a careless or hostile user would: another spelling of
// production's URL, two deploys at once, a run killed with SIGKILL mid-migration.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { appEnv, type FrameworkApp, nodePgMigrateApp } from './harness/frameworks.js';
import { runCli } from './harness/project.js';
import { spellings } from './harness/spellings.js';

function project(db: TestDatabase): FrameworkApp {
  const app = nodePgMigrateApp();
  writeFileSync(
    join(app.root, 'pgward.yaml'),
    `migrations:\n  framework: node-pg-migrate\n  dir: ${relative(app.root, app.migrationsDir)}\nenvironments:\n  production:\n    url: ${db.url}\n    policy:\n      backup_before_migrate: false\n`,
  );
  return app;
}

function env(app: FrameworkApp, db: TestDatabase) {
  const e = appEnv(app, db.url);
  delete e.DATABASE_URL;
  return e;
}

async function hasEmail(db: TestDatabase): Promise<boolean> {
  const rows = await db.query(
    "SELECT 1 FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'email'",
  );
  return rows.length === 1;
}

test("invariant: no spelling of production's URL lowers the guard's policy for a framework project", async (t) => {
  const db = await createTestDatabase();
  await db.query(
    "CREATE TABLE customers (id int primary key, email text); INSERT INTO customers VALUES (1, 'a')",
  );
  const app = project(db);
  t.after(() => app.remove());
  // Built at run time: only the guard on the wire can see it, so this is the guard's policy at work.
  app.addMigration('drop_email', "pgm.sql(['ALTER TABLE customers', 'DROP COLUMN email'].join(' '));");
  const chosen = spellings(db).filter((s) => /localhost|host name|unix socket/.test(s.name));
  assert.ok(chosen.length >= 3);
  for (const s of chosen) {
    const r = await runCli(['migrate', '--url', s.url, '--json'], {
      cwd: app.root,
      env: { ...env(app, db), PGPASSWORD: 'pgw-Secr3t-9d41' },
    });
    assert.equal(r.code, 6, `${s.name}: ${r.stderr}${r.stdout}`);
    assert.match(JSON.parse(r.stdout).refused.message, /production policy blocks/, s.name);
    assert.ok(await hasEmail(db), `${s.name}: nothing applied`);
  }
});

test('invariant: two deploys at once run the framework one after the other, never together', async (t) => {
  const db = await createTestDatabase();
  const app = project(db);
  t.after(() => app.remove());
  app.addMigration('slow', app.sql('CREATE TABLE slow (id int); SELECT pg_sleep(2)'));
  const [a, b] = await Promise.all([
    runCli(['migrate', '--env', 'production', '--json'], { cwd: app.root, env: env(app, db) }),
    runCli(['migrate', '--env', 'production', '--json'], { cwd: app.root, env: env(app, db) }),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const applied = [JSON.parse(a.stdout).applied, JSON.parse(b.stdout).applied];
  // One applied it; the other, after waiting for pgward's lock, found nothing pending and ran nothing.
  assert.deepEqual(applied.map((x: string[]) => x.length).sort(), [0, 1]);
  const runs = await db.query('SELECT count(*)::int AS n FROM pgward.guard_runs');
  assert.equal(runs[0]!.n, 1, 'the framework ran once');
});

test('invariant: a framework run killed with SIGKILL leaves nothing marked done, and the next run applies the migration', async (t) => {
  const db = await createTestDatabase();
  const app = project(db);
  t.after(() => app.remove());
  const m = app.addMigration('slow', app.sql('CREATE TABLE slow (id int); SELECT pg_sleep(30)'));
  const killed = await runCli(['migrate', '--env', 'production'], {
    cwd: app.root,
    env: env(app, db),
    onSpawn: (child) => {
      const poll = setInterval(async () => {
        const busy = await db.query(
          "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
        );
        if (busy.length) {
          clearInterval(poll);
          child.kill('SIGKILL');
        }
      }, 100);
      child.on('close', () => clearInterval(poll));
    },
  });
  assert.equal(killed.signal, 'SIGKILL');
  const runs = await db.query('SELECT outcome FROM pgward.guard_runs');
  assert.deepEqual(
    runs.map((r) => r.outcome),
    ['running'],
    'a killed run never looks finished',
  );
  // The guard's sessions died with pgward: the framework's transaction rolled back.
  for (
    let i = 0;
    i < 100 &&
    (
      await db.query(
        "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
      )
    ).length;
    i++
  )
    await new Promise((r) => setTimeout(r, 100));
  assert.equal((await db.query("SELECT to_regclass('slow') AS r"))[0]!.r, null);
  const recorded = (await db.query("SELECT to_regclass('pgmigrations') AS r"))[0]!.r
    ? (await db.query('SELECT count(*)::int AS n FROM pgmigrations'))[0]!.n
    : 0;
  assert.equal(recorded, 0, 'the killed migration is not recorded');
  app.addMigration('fast', app.sql('SELECT 1'));
  writeFileSync(m.file, writeFast(app));
  const again = await runCli(['migrate', '--env', 'production', '--json'], {
    cwd: app.root,
    env: env(app, db),
  });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).applied.length, 2);
});

/** The killed migration, rewritten without its sleep (as a user would after the incident). */
function writeFast(app: FrameworkApp): string {
  return `export const up = async (pgm) => {\n${app.sql('CREATE TABLE slow (id int)').replace(/^/gm, '  ')}\n};\nexport const down = false;\n`;
}
