// pgward serve against real PostgreSQL over real HTTP: every endpoint, promtool, migrations appearing
// within one refresh, bearer token, webhook alerts (raised once, resolved once), graceful SIGTERM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { TEST_PASSWORD } from './harness/cluster.js';
import { createTestDatabase } from './harness/db.js';
import { makeProject, migration, runCli, writeFile } from './harness/project.js';
import { afterRefreshes, get, getJson, startHook, startServe, until } from './harness/serve.js';

function project(url: string, extra = '', serve = 'serve:\n  refresh_interval: 200ms\n') {
  return makeProject({
    'pgward.yaml': `environments:\n  staging:\n    url: ${url}\n${extra}${serve}`,
    'db/migrations/001_create_users.sql': migration('CREATE TABLE users (id bigint PRIMARY KEY);'),
  });
}

test('endpoints: /up, /health, /health/migrations, /metrics (promtool), 404, 405; a new migration shows within one refresh', async () => {
  const db = await createTestDatabase();
  const dir = project(db.url);
  const s = await startServe(dir);
  try {
    const up = await getJson(`${s.url}/up`);
    assert.equal(up.status, 200);
    assert.equal(up.json.status, 'up');

    let h = await getJson(`${s.url}/health`);
    assert.equal(h.status, 200);
    assert.equal(h.json.status, 'degraded');
    assert.equal(h.json.database, 'connected');
    assert.equal(h.json.migrations.pending_count, 1);
    assert.equal(h.json.migrations.status, 'pending');
    assert.deepEqual(
      h.json.migrations.pending_migrations.map((p: { version: string; name: string }) => [p.version, p.name]),
      [['001', 'create_users']],
    );
    assert.ok(h.json.migrations.pending_migrations[0].pending_since, 'pending_since recorded');
    assert.equal(h.json.checks.connectivity.status, 'pass');
    assert.equal(h.json.checks.migrations.status, 'warn');
    assert.ok('backups' in h.json && 'jobs' in h.json);

    const mig = await getJson(`${s.url}/health/migrations`);
    assert.equal(mig.status, 200);
    assert.equal(mig.json.pending_count, 1);

    // apply it: the next full refresh reports up to date
    const r = await runCli(['migrate', '--env', 'staging'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    await afterRefreshes(s.url);
    h = await getJson(`${s.url}/health`);
    assert.equal(h.json.migrations.status, 'up_to_date');
    assert.equal(h.json.migrations.pending_count, 0);

    // a new file becomes pending within one refresh interval
    writeFile(dir, 'db/migrations/002_add_email.sql', migration('ALTER TABLE users ADD COLUMN email text;'));
    await afterRefreshes(s.url);
    h = await getJson(`${s.url}/health`);
    assert.equal(h.json.status, 'degraded');
    assert.deepEqual(
      h.json.migrations.pending_migrations.map((p: { version: string }) => p.version),
      ['002'],
    );

    const metrics = await get(`${s.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /^pgward_migrations_pending 1$/m);
    assert.match(metrics.body, /^pgward_database_up 1$/m);
    assert.match(metrics.body, /^pgward_connections\{state="[a-z ]+"\} \d+$/m);
    assert.match(metrics.body, /^pgward_doctor_check_status\{check="migrations",status="warn"\} 1$/m);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics.body, encoding: 'utf8' });
    assert.equal(promtool.error, undefined, 'promtool is installed (Debian package prometheus)');
    assert.equal(promtool.status, 0, `${promtool.stdout}${promtool.stderr}`);

    assert.equal((await get(`${s.url}/nope`)).status, 404);
    assert.equal((await get(`${s.url}/health`, {}, 'POST')).status, 405);
    assert.equal((await get(`${s.url}/up`, {}, 'HEAD')).status, 200);

    for (const text of [JSON.stringify(h.json), metrics.body, s.logs()])
      assert.ok(!text.includes(TEST_PASSWORD), 'the password never appears');
  } finally {
    assert.equal(await s.stop(), 0, 'SIGTERM stops serve cleanly');
  }
  assert.match(s.logs(), /SIGTERM: shutting down/);
});

test('bearer token: /metrics and /health/migrations need it, /health without it is the summary', async () => {
  const db = await createTestDatabase();
  const dir = project(db.url);
  const token = 'tok-5f2a9c41d7e3';
  const s = await startServe(dir, [], { PGWARD_SERVE_TOKEN: token });
  try {
    const auth = { authorization: `Bearer ${token}` };
    const denied = await get(`${s.url}/metrics`);
    assert.equal(denied.status, 401);
    assert.match(String(denied.headers['www-authenticate']), /^Bearer/);
    assert.equal((await get(`${s.url}/metrics`, { authorization: 'Bearer wrong-token' })).status, 401);
    assert.equal((await get(`${s.url}/health/migrations`)).status, 401);
    assert.equal((await get(`${s.url}/metrics`, auth)).status, 200);
    assert.equal((await get(`${s.url}/health/migrations`, auth)).status, 200);

    const summary = await getJson(`${s.url}/health`);
    assert.equal(summary.status, 200);
    assert.equal(summary.json.status, 'degraded');
    assert.equal(summary.json.migrations.pending_count, 1);
    assert.equal(summary.json.checks, undefined, 'no details without the token');
    const full = await getJson(`${s.url}/health`, auth);
    assert.equal(full.json.checks.connectivity.status, 'pass');
    assert.equal((await get(`${s.url}/up`)).status, 200, '/up is always open');
    assert.ok(!s.logs().includes(token), 'the token is never logged');
  } finally {
    await s.stop();
  }
});

test('webhook: pending-migration alert once, resolved once; a failing job alerts; Slack-compatible body', async () => {
  const db = await createTestDatabase();
  const hook = await startHook();
  const backups = makeProject({});
  const dir = project(
    db.url,
    '    schedule:\n      verify: "* * * * * *"\n',
    `serve:\n  refresh_interval: 200ms\n  webhook_url: ${hook.url}\n  alerts:\n    pending_migrations_after: 1s\nbackups:\n  storage: file://${backups}\n`,
  );
  const s = await startServe(dir);
  try {
    const pending = await until(
      async () =>
        hook.received.find((m) => m.pgward.key === 'migrations_pending' && m.pgward.event === 'alert'),
      'the pending-migrations alert',
    );
    assert.equal(typeof pending.text, 'string');
    assert.match(pending.text, /staging: 1 migration\(s\) pending for more than 1s: 001 create_users/);
    assert.equal(pending.pgward.env, 'staging');

    // verify runs every second with no backup to verify: the job fails, and is announced once
    const failed = await until(
      async () => hook.received.find((m) => m.pgward.key === 'job_failed:verify'),
      'the job failure alert',
    );
    assert.match(failed.pgward.message, /verify job failed: no backups/);
    await afterRefreshes(s.url, 5);
    const count = (key: string, event: string) =>
      hook.received.filter((m) => m.pgward.key === key && m.pgward.event === event).length;
    assert.equal(count('migrations_pending', 'alert'), 1, 'no repeat while the condition lasts');
    assert.equal(count('job_failed:verify', 'alert'), 1, 'no repeat while the job keeps failing');

    const r = await runCli(['migrate', '--env', 'staging'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    await until(
      async () => (count('migrations_pending', 'resolved') === 1 ? true : undefined),
      'the resolution',
    );
    const h = await getJson(`${s.url}/health`);
    assert.equal(h.json.jobs.verify.last_run.outcome, 'failed');
    assert.equal(h.json.status, 'degraded', 'a failed job degrades health');
    for (const m of hook.received) assert.ok(!JSON.stringify(m).includes(TEST_PASSWORD));
    assert.ok(!s.logs().includes('secretpath'), 'the webhook path (a secret for Slack) is not logged');
  } finally {
    await s.stop();
    await hook.close();
  }
  const jobs = await runCli(['jobs', '--env', 'staging', '--json'], { cwd: dir });
  assert.equal(jobs.code, 0, jobs.stderr);
  const list = JSON.parse(jobs.stdout).jobs as { job: string; outcome: string; error: string }[];
  assert.ok(list.length >= 1);
  assert.ok(list.every((j) => j.job === 'verify' && j.outcome === 'failed' && /no backups/.test(j.error)));
  const human = await runCli(['jobs', '--env', 'staging'], { cwd: dir });
  assert.match(human.stdout, /^JOB\s+SCHEDULED \(UTC\)/m);
});

test('config errors: bad cron expression and unknown serve key are one clear line', async () => {
  const db = await createTestDatabase();
  const bad = project(db.url, '    schedule:\n      backup: "61 * * * *"\n');
  const r = await runCli(['serve', '--port', '0'], { cwd: bad });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pgward\.yaml:\d+: environments\.staging\.schedule\.backup: /);
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
  const unknown = project(db.url, '', 'serve:\n  prot: 1\n');
  const u = await runCli(['serve'], { cwd: unknown });
  assert.equal(u.code, 2);
  assert.match(u.stderr, /unknown key "serve\.prot"/);
});
