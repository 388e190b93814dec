import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { TEST_PASSWORD } from './harness/cluster.js';
import { createTestDatabase, sessionsOpened } from './harness/db.js';
import { type CliResult, makeProject, migration, runCli } from './harness/project.js';

function assertNoSecret(r: CliResult, what: string): void {
  for (const form of [TEST_PASSWORD, encodeURIComponent(TEST_PASSWORD)]) {
    assert.ok(!r.stdout.includes(form), `${what}: password leaked on stdout:\n${r.stdout}`);
    assert.ok(!r.stderr.includes(form), `${what}: password leaked on stderr:\n${r.stderr}`);
  }
}

async function project(files: Record<string, string>) {
  const db = await createTestDatabase();
  const dir = makeProject(
    Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v])),
  );
  return { db, dir };
}

test('status exits 3 with pending, migrate applies, status exits 0; --json is one parseable document', async () => {
  const { db, dir } = await project({
    '20240101000000_create_users.sql': migration('CREATE TABLE users (id int);', 'DROP TABLE users;'),
  });
  const args = ['--url', db.url];
  const s1 = await runCli(['status', ...args], { cwd: dir });
  assert.equal(s1.code, 3, s1.stderr);
  assert.match(s1.stdout, /20240101000000\s+create_users\s+pending/);
  const m = await runCli(['migrate', ...args], { cwd: dir });
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /applied 1 migration/);
  const s2 = await runCli(['status', '--json', ...args], { cwd: dir });
  assert.equal(s2.code, 0, s2.stderr);
  const doc = JSON.parse(s2.stdout);
  assert.equal(doc.exitCode, 0);
  assert.equal(doc.framework, 'pgward');
  assert.equal(doc.entries[0].state, 'applied');
  assert.match(doc.database, /\*{5}/);
  for (const r of [s1, m, s2]) assertNoSecret(r, 'status/migrate');
});

test("migrate of files another framework could also own (node-pg-migrate names them as dbmate does) tells them apart on the run's session: two sessions in all, the run's and the pooler probe's", async () => {
  const { db, dir } = await project({
    '20240101000000_create_users.sql': migration('CREATE TABLE users (id int);', 'DROP TABLE users;'),
    '20240101000001_create_teams.sql': migration('CREATE TABLE teams (id int);', 'DROP TABLE teams;'),
  });
  const before = await sessionsOpened(db);
  const m = await runCli(['migrate', '--url', db.url], { cwd: dir });
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /applied 2 migration/);
  const opened = (await sessionsOpened(db)) - before;
  // A third would be a connection opened only to read which history tables exist.
  assert.equal(opened, 2, `sessions opened by migrate: ${opened}`);
});

test('DATABASE_URL works without a config; a config selects environments and reports its errors with line', async () => {
  const { db, dir } = await project({ '1_a.sql': migration('SELECT 1;') });
  const viaEnv = await runCli(['status'], { cwd: dir, env: { DATABASE_URL: db.url } });
  assert.equal(viaEnv.code, 3, viaEnv.stderr);
  const cfgDir = makeProject({
    'pgward.yaml': `migrations:\n  dir: migrations\nenvironments:\n  staging:\n    url: \${STAGING_URL}\n    policy:\n      lock_timeout: 3s\n`,
    'migrations/1_a.sql': migration('SELECT 1;'),
  });
  const ok = await runCli(['status', '--env', 'staging'], {
    cwd: join(cfgDir, 'migrations'),
    env: { STAGING_URL: db.url },
  });
  assert.equal(ok.code, 3, ok.stderr);
  const missingVar = await runCli(['status'], { cwd: cfgDir, env: { STAGING_URL: '' } });
  assert.equal(missingVar.code, 2);
  assert.match(
    missingVar.stderr,
    /pgward\.yaml:5: environments\.staging\.url uses \$\{STAGING_URL\}, which is not set/,
  );
  const bad = makeProject({
    'pgward.yaml':
      'environments:\n  staging:\n    url: postgres://x/y\n    policy:\n      lock_timeout: soon\n',
  });
  const r = await runCli(['status'], { cwd: bad });
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr.trim().split('\n')[0],
    'error: pgward.yaml:5: environments.staging.policy.lock_timeout: expected a duration like "500ms", "5s", "10min" or "2h", got "soon"',
  );
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace for user errors');
});

test('a failing migration: exit 1, names file, line, SQLSTATE, message, detail; password never printed', async () => {
  const { db, dir } = await project({
    '1_table.sql': migration('CREATE TABLE u (id int PRIMARY KEY);'),
    '2_dup.sql': migration('INSERT INTO u VALUES (1);\nINSERT INTO u VALUES (1);'),
  });
  const r = await runCli(['migrate', '--url', db.url], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /migration 2_dup failed: it was rolled back and nothing was recorded/);
  assert.match(r.stderr, /2_dup\.sql:3:1: \[23505\] duplicate key value violates unique constraint "u_pkey"/);
  assert.match(r.stderr, /detail: Key \(id\)=\(1\) already exists\./);
  assertNoSecret(r, 'failing migrate');
  const json = await runCli(['migrate', '--json', '--url', db.url], { cwd: dir });
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.ok, false);
  assert.equal(doc.failure.code, '23505');
  assert.equal(doc.failure.line, 3);
  assertNoSecret(json, 'failing migrate --json');
});

test('passwords are redacted in connection errors, usage errors and JSON errors', async () => {
  const { db, dir } = await project({ '1_a.sql': migration('SELECT 1;') });
  const dead = db.url.replace(/:(\d+)\//, ':1/');
  const refused = await runCli(['status', '--url', dead], { cwd: dir });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cannot connect to postgresql:\/\/pgward_test:\*{5}@127\.0\.0\.1:1\//);
  assertNoSecret(refused, 'connection refused');
  const wrongPw = await runCli(
    ['status', '--json', '--url', db.url.replace(encodeURIComponent(TEST_PASSWORD), 'nope-wrong-pw')],
    { cwd: dir },
  );
  assert.equal(wrongPw.code, 1);
  assert.ok(
    !wrongPw.stderr.includes('nope-wrong-pw') && !wrongPw.stdout.includes('nope-wrong-pw'),
    wrongPw.stderr,
  );
  assert.equal(JSON.parse(wrongPw.stdout).ok, false);
  const usage = await runCli(['status', `--urll=${db.url}`], { cwd: dir });
  assert.equal(usage.code, 2);
  assertNoSecret(usage, 'unknown option echoing the URL');
  const viaKv = await runCli(['status', '--url', `host=127.0.0.1 password=${TEST_PASSWORD}`], { cwd: dir });
  assert.equal(viaKv.code, 2);
  assertNoSecret(viaKv, 'key=value conninfo');
  const verbose = await runCli(['migrate', '-v', '--url', db.url], { cwd: dir });
  assertNoSecret(verbose, 'verbose migrate');
});

test('rollback refuses a migration without a down section (exit 1, nothing changed)', async () => {
  const { db, dir } = await project({ '1_a.sql': migration('CREATE TABLE a (id int);') });
  await runCli(['migrate', '--url', db.url], { cwd: dir });
  const r = await runCli(['rollback', '--url', db.url], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /it has no down section/);
  const rows = await db.query("SELECT to_regclass('a') AS a");
  assert.equal(rows[0]!.a, 'a');
});

/** Sends `signal` to the CLI once its pg_sleep(60) is really running on the server. */
function interruptWhenSleeping(
  db: { query: (sql: string) => Promise<{ n?: number }[]> },
  signal: NodeJS.Signals,
) {
  return (child: import('node:child_process').ChildProcess) => {
    // Polls can overlap under load (a query slower than the interval): send exactly one signal, since a
    // second one makes pgward exit at once without reporting the cancelled statement.
    let sent = false;
    const poll = setInterval(async () => {
      const rows = await db.query(
        // Each poll is its own connection: under load an earlier poll is still running, and its text
        // mentions pg_sleep(60) too; only the migration's statement counts. Only this test's database and
        // a query still running: the previous test's session (idle, its last query text still shown) can
        // outlive its process for a moment under load.
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND query NOT LIKE '%pg_stat_activity%' AND state = 'active' AND datname = current_database() AND pid <> pg_backend_pid()",
      );
      if ((rows[0]?.n ?? 0) > 0 && !sent) {
        sent = true;
        clearInterval(poll);
        child.kill(signal);
      }
    }, 100);
    child.on('close', () => clearInterval(poll));
  };
}

test('SIGINT during a migration cancels the statement, rolls back, records nothing, exits 130', async () => {
  const { db, dir } = await project({
    '1_slow.sql': migration('CREATE TABLE s (id int);\nSELECT pg_sleep(60);'),
  });
  const r = await runCli(['migrate', '--url', db.url], {
    cwd: dir,
    onSpawn: interruptWhenSleeping(db, 'SIGINT'),
  });
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /SIGINT received/);
  assert.match(r.stderr, /57014/);
  const rows = await db.query(
    "SELECT to_regclass('s') AS s, (SELECT count(*)::int FROM pgward.migrations) AS n",
  );
  assert.deepEqual(rows[0], { s: null, n: 0 });
});

test('SIGTERM does the same with exit 143', async () => {
  const { db, dir } = await project({ '1_slow.sql': migration('SELECT pg_sleep(60);') });
  const r = await runCli(['migrate', '--url', db.url], {
    cwd: dir,
    onSpawn: interruptWhenSleeping(db, 'SIGTERM'),
  });
  assert.equal(r.code, 143, r.stderr);
  assert.match(r.stderr, /57014/);
  const rows = await db.query('SELECT count(*)::int AS n FROM pgward.migrations');
  assert.equal(rows[0]!.n, 0);
});

test('a second run waits for the lock, then exits 7 naming who holds it', async () => {
  const { db, dir } = await project({ '1_a.sql': migration('CREATE TABLE a (id int);') });
  const holder = new pg.Client({ connectionString: db.url, application_name: 'deploy-bot on web-1' });
  await holder.connect();
  await holder.query("SELECT pg_advisory_lock(('x' || '7067776172640000')::bit(64)::bigint)");
  try {
    const r = await runCli(['migrate', '--lock-wait', '300ms', '--url', db.url], { cwd: dir });
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /another migration run holds the lock: "deploy-bot on web-1" \(server pid \d+/);
  } finally {
    await holder.end();
  }
  const ok = await runCli(['migrate', '--url', db.url], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
});

test('two processes migrating at once apply each migration exactly once', async () => {
  const files: Record<string, string> = {
    '0_log.sql': migration('CREATE TABLE log (version text);'),
  };
  for (let i = 1; i <= 15; i++) {
    files[`${i}_step.sql`] = migration(`INSERT INTO log VALUES ('${i}');\nSELECT pg_sleep(0.02);`);
  }
  const { db, dir } = await project(files);
  const [a, b] = await Promise.all([
    runCli(['migrate', '--url', db.url], { cwd: dir }),
    runCli(['migrate', '--url', db.url], { cwd: dir }),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const rows = await db.query('SELECT version, count(*)::int AS n FROM log GROUP BY version');
  assert.equal(rows.length, 15);
  assert.ok(
    rows.every((r) => r.n === 1),
    'every migration ran exactly once',
  );
  const hist = await db.query('SELECT count(*)::int AS n FROM pgward.migrations');
  assert.equal(hist[0]!.n, 16);
});

test('init writes a config and migrations folder; new writes a timestamped migration; status reads them', async () => {
  const dir = makeProject({});
  const init = await runCli(['init'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  assert.ok(existsSync(join(dir, 'pgward.yaml')));
  const again = await runCli(['init'], { cwd: dir });
  assert.equal(again.code, 2);
  const made = await runCli(['new', 'Add email to users'], { cwd: dir });
  assert.equal(made.code, 0, made.stderr);
  const [file] = readdirSync(join(dir, 'db/migrations'));
  assert.match(file!, /^\d{14}_add_email_to_users\.sql$/);
  assert.match(
    readFileSync(join(dir, 'db/migrations', file!), 'utf8'),
    /-- migrate:up[\s\S]*-- migrate:down/,
  );
  const db = await createTestDatabase();
  const s = await runCli(['status', '--json'], { cwd: dir, env: { DATABASE_URL: db.url } });
  assert.equal(s.code, 3, s.stderr);
  assert.equal(JSON.parse(s.stdout).pending.length, 1);
});

test('baseline --import dbmate adopts a dbmate database: applied versions are recorded, not rerun', async () => {
  const { db, dir } = await project({
    '20230101000000_a.sql': migration('CREATE TABLE a (id int);'),
    '20230102000000_b.sql': migration('CREATE TABLE b (id int);'),
  });
  await db.query('CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)');
  await db.query("INSERT INTO schema_migrations VALUES ('20230101000000')");
  await db.query('CREATE TABLE a (id int)');
  const s = await runCli(['status', '--json', '--url', db.url], { cwd: dir });
  const doc = JSON.parse(s.stdout);
  assert.equal(doc.framework, 'dbmate');
  assert.deepEqual(doc.pending, [{ version: '20230102000000', name: 'b' }]);
  const refused = await runCli(['migrate', '--url', db.url], { cwd: dir });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /pgward baseline --import dbmate/);
  const b = await runCli(['baseline', '--import', 'dbmate', '--url', db.url], { cwd: dir });
  assert.equal(b.code, 0, b.stderr);
  const m = await runCli(['migrate', '--url', db.url], { cwd: dir });
  assert.equal(m.code, 0, m.stderr);
  const rows = await db.query(
    "SELECT to_regclass('b') AS b, (SELECT count(*)::int FROM pgward.migrations) AS n",
  );
  assert.deepEqual(rows[0], { b: 'b', n: 2 });
});

test('--help and --version exit 0; an unknown command exits 2', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes:/);
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  const bad = await runCli(['frobnicate']);
  assert.equal(bad.code, 2);
});
