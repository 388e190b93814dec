// `pgward deploy` of a Knex project: preflight plans the framework's pending migrations (planFramework),
// the migrate step runs `knex migrate:latest` behind the guard, a destructive one blocks the pipeline
// before the deploy command until approved.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { startAppServer } from './harness/app-server.js';
import { createTestDatabase } from './harness/db.js';
import { appEnv, knexApp } from './harness/frameworks.js';
import { runCli } from './harness/project.js';

test('invariant: a framework project (Knex) deploys through the guard, and its destructive migration blocks the deploy until approved', async (t) => {
  const db = await createTestDatabase();
  const app = knexApp();
  const server = await startAppServer();
  t.after(async () => {
    app.remove();
    await server.close();
  });
  writeFileSync(
    join(app.root, 'pgward.yaml'),
    `migrations:
  framework: knex
  dir: ${relative(app.root, app.migrationsDir)}
environments:
  production:
    url: ${db.url}
    deploy:
      provider: command
      command:
        deploy: echo "$PGWARD_DEPLOY_ID" >> deployed.txt
      verify:
        health_url: ${server.healthUrl}
        checks: 1
        interval: 50ms
        timeout: 2s
`,
  );
  const env = appEnv(app, db.url);
  delete env.DATABASE_URL;
  const deploy = (...args: string[]) =>
    runCli(['deploy', '--env', 'production', '--json', ...args], { cwd: app.root, env });
  const deployed = () =>
    existsSync(join(app.root, 'deployed.txt'))
      ? readFileSync(join(app.root, 'deployed.txt'), 'utf8').split('\n').filter(Boolean)
      : [];

  app.addMigration(
    'customers',
    app.sql(
      "CREATE TABLE customers (id int primary key, email text); INSERT INTO customers VALUES (1, 'a@b.c')",
    ),
  );
  const first = await deploy();
  assert.equal(first.code, 0, first.stderr);
  const d1 = JSON.parse(first.stdout).deploy;
  assert.match(d1.steps.find((s: { name: string }) => s.name === 'migrate').detail, /^knex: 1 applied/);
  assert.deepEqual(deployed(), [d1.id]);

  const drop = app.addMigration('drop_email', app.sql('ALTER TABLE customers DROP COLUMN email'));
  const blocked = await deploy();
  assert.equal(blocked.code, 6, blocked.stderr);
  const d2 = JSON.parse(blocked.stdout);
  assert.equal(d2.deploy.status, 'blocked');
  assert.deepEqual(d2.blocked, [drop.version]);
  assert.deepEqual(deployed(), [d1.id], 'the deploy command did not run');
  const cols = await db.query(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'",
  );
  assert.ok(cols.some((c) => c.column_name === 'email'));

  const ok = await deploy('--approve', drop.version);
  assert.equal(ok.code, 0, ok.stderr);
  const d3 = JSON.parse(ok.stdout).deploy;
  assert.deepEqual(
    d3.migrations.map((m: { version: string; compatible: boolean }) => [m.version, m.compatible]),
    [[drop.version, false]],
  );
  assert.deepEqual(deployed(), [d1.id, d3.id]);
});
