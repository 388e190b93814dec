// `pgward deploy` with the command provider against a real PostgreSQL, real shell deploy and rollback
// commands and an app server whose health each test sets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCluster } from './harness/cluster.js';
import { deployProject } from './harness/deploy.js';
import { makeProject, migration, runCli } from './harness/project.js';

test('deploy: migrations applied, then the deploy command, then health verified; journaled step by step', async () => {
  const p = await deployProject({
    migrations: {
      'db/migrations/001_users.sql': migration(
        'CREATE TABLE users (id int PRIMARY KEY);',
        'DROP TABLE users;',
      ),
      'db/migrations/002_email.sql': migration(
        'ALTER TABLE users ADD COLUMN email text;',
        'ALTER TABLE users DROP COLUMN email;',
      ),
    },
  });
  try {
    const r = await p.run(['deploy', '--env', 'staging', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.deploy.status, 'succeeded');
    assert.deepEqual(
      doc.deploy.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`),
      ['preflight:done', 'backup:skipped', 'migrate:done', 'platform:done', 'verify:done'],
    );
    assert.deepEqual(p.deployed(), [doc.deploy.id]);
    assert.deepEqual(
      doc.deploy.migrations.map((m: { version: string; compatible: boolean }) => [m.version, m.compatible]),
      [
        ['001', true],
        ['002', true],
      ],
    );
    assert.match(r.stderr, /→ migrate/);
    const rows = await p.db.query('SELECT status, exit_code FROM pgward.deploys');
    assert.deepEqual(rows, [{ status: 'succeeded', exit_code: 0 }]);
    const list = await p.run(['deploy', 'list', '--env', 'staging', '--json']);
    assert.equal(JSON.parse(list.stdout).deploys[0].id, doc.deploy.id);
    const status = await p.run(['deploy', 'status', '--env', 'staging']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`deploy ${doc.deploy.id} of staging: succeeded`));
    // A second deploy with nothing pending still deploys the code.
    const again = await p.run(['deploy', '--env', 'staging']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(p.deployed().length, 2);
    assert.match(again.stdout, /nothing to migrate/);
  } finally {
    await p.close();
  }
});

test('deploy: a preflight rehearsal over deploy.rehearse_budget stops the deploy (exit 9) before anything changes', async (t) => {
  // The rehearsal copy goes to another server (never the environment's own).
  const rehearsal = await startCluster();
  t.after(() => rehearsal.stop());
  const p = await deployProject({
    migrations: {
      'db/migrations/001_slow.sql': migration('CREATE TABLE slow (id int);\nSELECT pg_sleep(0.5);'),
    },
    deployBlock: 'rehearse_budget: 100ms',
    extra: `rehearsal:\n  server: ${rehearsal.url('postgres')}\n`,
  });
  try {
    const r = await p.run(['deploy', '--env', 'staging', '--json']);
    assert.equal(r.code, 9, r.stderr);
    const d = JSON.parse(r.stdout).deploy;
    assert.match(
      d.steps[0].detail,
      /rehearsal over deploy\.rehearse_budget: 001: over budget \(took \d\.\d\ds > 0\.1s\)/,
    );
    assert.deepEqual(p.deployed(), []);
    assert.equal((await p.db.query("SELECT to_regclass('slow') AS t"))[0]!.t, null);
  } finally {
    await p.close();
  }
});

test('deploy: bad input is one clear line each', async () => {
  const p = await deployProject({
    migrations: { 'db/migrations/001_a.sql': migration('CREATE TABLE a (id int);') },
  });
  try {
    const noEnv = await p.run(['deploy', '--url', p.db.url]);
    assert.equal(noEnv.code, 2);
    assert.match(noEnv.stderr, /^error: pgward deploy needs an environment \(--env <name>\)$/m);
    const none = await p.run(['deploy', 'status', '--env', 'staging']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no deploy of staging in the journal yet/);
    const unknown = await p.run([
      'deploy',
      'rollback',
      'dpl_nope',
      '--env',
      'staging',
      '--database',
      'down',
      '--approve',
    ]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no deploy dpl_nope in the journal/);
    const bare = await p.run(['deploy', '--env', 'staging', '--approve']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /--approve needs the versions to approve/);
    for (const r of [noEnv, none, unknown, bare]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(p.deployed(), []);
  } finally {
    await p.close();
  }
  const other = makeProject({
    'pgward.yaml': `environments:\n  staging:\n    url: \${DB_URL}\n  production:\n    url: \${DB_URL}\n    deploy:\n      provider: render\n      render:\n        services: [srv-abc123]\n`,
  });
  const env = { DB_URL: 'postgresql://u:pw-secret-77@127.0.0.1:1/x' };
  const missing = await runCli(['deploy', '--env', 'staging'], { cwd: other, env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /environment staging has no deploy: block in .*pgward\.yaml/);
  const render = await runCli(['deploy', '--env', 'production'], {
    cwd: other,
    env: { ...env, RENDER_API_KEY: '' },
  });
  assert.equal(render.code, 2, render.stderr);
  assert.match(
    render.stderr,
    /the Render API key is missing: environment variable RENDER_API_KEY is not set/,
  );
  assert.doesNotMatch(render.stderr, /pw-secret-77/);
});
