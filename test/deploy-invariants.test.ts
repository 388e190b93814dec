// The safety promises of `pgward deploy` (docs/safety-model.md), each tried against a real PostgreSQL,
// real shell deploy/rollback commands and an app server whose health the test controls.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TEST_PASSWORD } from './harness/cluster.js';
import { deployProject, until } from './harness/deploy.js';
import { migration } from './harness/project.js';

const USERS = migration('CREATE TABLE users (id int PRIMARY KEY, email text);', 'DROP TABLE users;');

test('invariant: a failing or blocked migration never reaches the platform deploy (the deploy command never runs)', async () => {
  const failing = await deployProject({
    migrations: {
      'db/migrations/001_users.sql': USERS,
      'db/migrations/002_bad.sql': migration('ALTER TABLE users ADD COLUMN age int;\nSELECT 1/0;'),
    },
  });
  try {
    const r = await failing.run(['deploy', '--env', 'staging', '--json']);
    assert.equal(r.code, 11, r.stderr);
    const d = JSON.parse(r.stdout).deploy;
    assert.equal(d.status, 'failed');
    assert.deepEqual(
      d.steps.map((s: { name: string }) => s.name),
      ['preflight', 'backup', 'migrate'],
    );
    assert.match(d.steps[2].detail, /002_bad failed .*division by zero/);
    assert.deepEqual(failing.deployed(), [], 'the deploy command never ran');
    assert.equal(
      (
        await failing.db.query(
          "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'age'",
        )
      )[0]!.n,
      0,
    );
  } finally {
    await failing.close();
  }
  const blocked = await deployProject({
    envName: 'production',
    migrations: { 'db/migrations/001_drop.sql': migration('DROP TABLE users;') },
  });
  try {
    await blocked.db.query('CREATE TABLE users (id int PRIMARY KEY, email text)');
    const r = await blocked.run(['deploy', '--env', 'production', '--json']);
    assert.equal(r.code, 6, r.stderr);
    assert.equal(JSON.parse(r.stdout).deploy.status, 'blocked');
    assert.deepEqual(blocked.deployed(), [], 'the deploy command never ran');
    assert.equal((await blocked.db.query("SELECT to_regclass('users')::text AS t"))[0]!.t, 'users');
  } finally {
    await blocked.close();
  }
});

test('invariant: a destructive migration blocks the pipeline until approved', async () => {
  const p = await deployProject({
    envName: 'production',
    migrations: {
      'db/migrations/001_users.sql': USERS,
      'db/migrations/002_drop_email.sql': migration('ALTER TABLE users DROP COLUMN email;'),
    },
  });
  try {
    const r = await p.run(['deploy', '--env', 'production', '--json']);
    assert.equal(r.code, 6, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.deploy.status, 'blocked');
    assert.deepEqual(doc.blocked, ['002']);
    assert.equal(doc.approveCommand, 'pgward deploy --env production --approve 002');
    assert.deepEqual(p.deployed(), []);
    assert.equal((await p.db.query("SELECT to_regclass('users') AS t"))[0]!.t, null, 'nothing was migrated');
    const human = await p.run(['deploy', '--env', 'production']);
    assert.equal(human.code, 6);
    assert.match(human.stderr, /pgward deploy --env production --approve 002/);
    const ok = await p.run(['deploy', '--env', 'production', '--approve', '002', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const d = JSON.parse(ok.stdout).deploy;
    assert.equal(d.status, 'succeeded');
    assert.equal(
      d.migrations[1].compatible,
      false,
      'an approved destructive migration is still not backward compatible',
    );
    assert.match(d.steps[1].detail, /^backup \S+ \(label deploy:/, 'production backs up first');
    assert.deepEqual(p.deployed(), [d.id]);
  } finally {
    await p.close();
  }
});

test('invariant: a deploy whose health never turns ok is rolled back (rollback command runs) and recorded as rolled_back', async () => {
  const p = await deployProject({
    migrations: {
      'db/migrations/001_users.sql': USERS,
      'db/migrations/002_age.sql': migration(
        'ALTER TABLE users ADD COLUMN age int;',
        'ALTER TABLE users DROP COLUMN age;',
      ),
    },
  });
  try {
    p.app.health = 503;
    const r = await p.run(['deploy', '--env', 'staging', '--json']);
    assert.equal(r.code, 12, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.deploy.status, 'rolled_back');
    assert.deepEqual(p.deployed(), [doc.deploy.id]);
    assert.deepEqual(p.rolledBack(), [doc.deploy.id], 'the rollback command ran once');
    const verify = doc.deploy.steps.find((s: { name: string }) => s.name === 'verify');
    assert.equal(verify.status, 'failed');
    assert.match(verify.detail, /health never answered ok 2× in a row .*HTTP 503/);
    assert.equal(doc.database.action, 'keep');
    assert.match(doc.deploy.steps.at(-1).detail, /database: schema kept/);
    const rows = await p.db.query('SELECT status, exit_code FROM pgward.deploys');
    assert.deepEqual(rows, [{ status: 'rolled_back', exit_code: 12 }]);
    assert.equal(
      (
        await p.db.query(
          "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'age'",
        )
      )[0]!.n,
      1,
      'a backward-compatible schema stays',
    );
  } finally {
    await p.close();
  }
});

test('invariant: the database is never changed on rollback without an explicit approval', async () => {
  const p = await deployProject({
    migrations: {
      'db/migrations/001_users.sql': USERS,
      'db/migrations/002_drop_email.sql': migration(
        'ALTER TABLE users DROP COLUMN email;',
        'ALTER TABLE users ADD COLUMN email text;',
      ),
    },
  });
  try {
    await p.run(['migrate', '--env', 'staging', '--to', '001']);
    await p.db.query("INSERT INTO users VALUES (1, 'a@example.com')");
    p.app.health = 503;
    const r = await p.run(['deploy', '--env', 'staging', '--json']);
    assert.equal(r.code, 12, r.stderr);
    const doc = JSON.parse(r.stdout);
    const id = doc.deploy.id;
    assert.equal(doc.database.action, 'needs-approval');
    assert.deepEqual(
      doc.database.incompatible.map((m: { version: string }) => m.version),
      ['002'],
    );
    assert.deepEqual(doc.database.commands, [
      `pgward deploy rollback ${id} --env staging --database down --approve`,
    ]);
    const emailGone = async () =>
      (
        await p.db.query(
          "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'email'",
        )
      )[0]!.n === 0;
    assert.ok(await emailGone(), 'the rollback did not touch the database');
    // Writes since the deploy are counted and named before anything is approved.
    await p.db.query('INSERT INTO users VALUES (2), (3)');
    await p.db.query('UPDATE users SET id = id + 10 WHERE id = 1');
    const refused = await p.run(['deploy', 'rollback', id, '--env', 'staging', '--database', 'down']);
    assert.equal(refused.code, 6, refused.stderr);
    assert.match(refused.stderr, /nothing changed without --approve; .*3 write\(s\) since the deploy/);
    assert.match(
      refused.stderr,
      new RegExp(`pgward deploy rollback ${id} --env staging --database down --approve`),
    );
    assert.ok(await emailGone(), 'refused: nothing changed');
    const done = await p.run([
      'deploy',
      'rollback',
      id,
      '--env',
      'staging',
      '--database',
      'down',
      '--approve',
      '--json',
    ]);
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(JSON.parse(done.stdout).rolledBack, ['002']);
    assert.equal(await emailGone(), false, 'approved: the down section ran');
    const rec = (await p.db.query('SELECT database_rollback FROM pgward.deploys WHERE id = $1', [id]))[0]!;
    assert.equal(rec.database_rollback.how, 'down');
    assert.equal(rec.database_rollback.ok, true);
    const twice = await p.run([
      'deploy',
      'rollback',
      id,
      '--env',
      'staging',
      '--database',
      'down',
      '--approve',
    ]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /already rolled back/);
  } finally {
    await p.close();
  }
});

test('invariant: two deploys of one environment never run at once (the second exits 7 naming the running one)', async () => {
  const p = await deployProject({
    migrations: { 'db/migrations/001_users.sql': USERS },
    deployWaitsFor: 'go',
  });
  try {
    const first = p.run(['deploy', '--env', 'staging', '--json']);
    await until(
      () => (p.deployed().length === 0 && deployStarted(p.dir) ? true : undefined),
      'the first deploy command to start',
    );
    const running = (await p.db.query("SELECT id, pid FROM pgward.deploys WHERE status = 'running'"))[0]!;
    const second = await p.run(['deploy', '--env', 'staging']);
    assert.equal(second.code, 7, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(
        `deploy ${running.id} is running \\(pgward pid ${running.pid} on [^,]+, by [^,]+, since \\d{4}-[^,]+, step platform \\(running\\)\\)`,
      ),
    );
    writeFileSync(join(p.dir, 'go'), '');
    const r = await first;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(p.deployed(), [running.id], 'only the first deploy ran the deploy command');
    assert.equal(
      (await p.db.query('SELECT count(*)::int AS n FROM pgward.deploys'))[0]!.n,
      1,
      'the refused one journaled nothing',
    );
  } finally {
    await p.close();
  }
});

function deployStarted(dir: string): boolean {
  try {
    return readFileSync(join(dir, 'deploy.log'), 'utf8').includes('started');
  } catch {
    return false;
  }
}

test('invariant: secrets (database password, API keys in the environment) never appear in journal, output or JSON', async () => {
  const token = 'fly_tok_9f8e7d6c5b4a';
  const p = await deployProject({
    migrations: { 'db/migrations/001_users.sql': USERS },
    deployExit: 1,
    env: { FLY_API_TOKEN: token },
    files: {},
  });
  try {
    writeFileSync(
      join(p.dir, 'deploy.sh'),
      'echo "deploying with $FLY_API_TOKEN to $DB_URL" >&2\necho "$PGWARD_DEPLOY_ID" >> deployed.txt\nexit 1\n',
    );
    const json = await p.run(['deploy', '--env', 'staging', '--json']);
    const human = await p.run(['deploy', '--env', 'staging']);
    const status = await p.run(['deploy', 'status', '--env', 'staging', '--json']);
    const journal = (await p.db.query('SELECT d::text AS t FROM pgward.deploys d'))
      .map((r) => r.t)
      .join('\n');
    assert.equal(json.code, 12, json.stderr);
    assert.match(
      JSON.parse(json.stdout).deploy.steps.find((s: { name: string }) => s.name === 'platform').detail,
      /deploying with \*\*\*\*\*/,
    );
    for (const [what, text] of [
      ['json', json.stdout + json.stderr],
      ['human', human.stdout + human.stderr],
      ['status', status.stdout + status.stderr],
      ['journal', journal],
    ] as const) {
      assert.ok(!text.includes(token), `${what} shows the API token`);
      assert.ok(!text.includes(TEST_PASSWORD), `${what} shows the database password`);
    }
  } finally {
    await p.close();
  }
});
