// `pgward exec --env <name> -- <command>`: one-off scripts (a node-postgres data fix, psql -c) run with
// their connections behind the guard, against a real PostgreSQL: a destructive statement is refused in
// production with nothing of its transaction applied, --approve <fingerprint> lets exactly that text
// through, the whole-run timeout cancels a long statement, the child never sees the real password, and
// every run is audited (kind 'exec').
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { statementFingerprint } from '../src/migrate/exec.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, ROOT, runCli } from './harness/project.js';

/** A project whose production environment is the test database, with the scripts given. */
function project(db: TestDatabase, scripts: Record<string, string> = {}): string {
  return makeProject({
    'pgward.yaml': `environments:\n  production:\n    url: ${db.url}\n`,
    ...scripts,
  });
}

/** A CommonJS script using node-postgres (found through NODE_PATH) on DATABASE_URL, running `body`. */
function pgScript(body: string): string {
  return `const { Client } = require('pg');
(async () => {
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try {
${body}
  } finally {
    await c.end();
  }
})().catch((e) => { console.error('script failed:', e.message); process.exit(3); });
`;
}

const FLAG_FIX = pgScript(`
    await c.query('BEGIN');
    await c.query("INSERT INTO log (msg) VALUES ('fix started')");
    await c.query('UPDATE users SET flag = true');
    await c.query('COMMIT');`);

function exec(dir: string, ...args: string[]) {
  return runCli(['exec', '--env', 'production', '--json', ...args], {
    cwd: dir,
    env: { NODE_PATH: join(ROOT, 'node_modules') },
  });
}

async function seed(db: TestDatabase): Promise<void> {
  await db.query(`CREATE TABLE users (id int PRIMARY KEY, flag boolean NOT NULL DEFAULT false);
    INSERT INTO users SELECT g, false FROM generate_series(1, 5) g;
    CREATE TABLE log (id serial PRIMARY KEY, msg text)`);
}

test('invariant: exec — an UPDATE without WHERE is refused in production (exit 6) and nothing of its transaction applies; --approve <fingerprint> lets exactly that statement through', async (t) => {
  const db = await createTestDatabase();
  await seed(db);
  const twoWrites = pgScript(`
    await c.query('UPDATE users SET flag = true');
    await c.query('DELETE FROM log');`);
  const dir = project(db, { 'fix.js': FLAG_FIX, 'two.js': twoWrites });
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const refused = await exec(dir, '--', 'node', 'fix.js');
  assert.equal(refused.code, 6, refused.stderr + refused.stdout);
  const doc = JSON.parse(refused.stdout);
  const fp = statementFingerprint('UPDATE users SET flag = true');
  assert.equal(doc.refused.length, 1);
  assert.equal(doc.refused[0].fingerprint, fp);
  assert.equal(doc.refused[0].sql, 'UPDATE users SET flag = true');
  assert.match(doc.refused[0].message, /blocks this destructive statement: ban-update-without-where/);
  assert.equal(doc.child.exitCode, 3, 'the script saw the refusal as its own error');
  // The script's own error carries the exact approve command (the server raised it as the hint).
  assert.match(refused.stderr, /script failed: pgward: the production policy blocks/);
  assert.equal((await db.query('SELECT count(*)::int AS n FROM users WHERE flag'))[0]!.n, 0);
  assert.equal(
    (await db.query('SELECT count(*)::int AS n FROM log'))[0]!.n,
    0,
    'the INSERT rolled back with it',
  );

  const human = await runCli(['exec', '--env', 'production', '--', 'node', 'fix.js'], {
    cwd: dir,
    env: { NODE_PATH: join(ROOT, 'node_modules') },
  });
  assert.equal(human.code, 6);
  assert.match(
    human.stdout,
    new RegExp(`approve after review: pgward exec --env production --approve ${fp} -- node fix\\.js`),
  );

  const approved = await exec(dir, '--approve', fp, '--', 'node', 'fix.js');
  assert.equal(approved.code, 0, approved.stderr + approved.stdout);
  assert.deepEqual(JSON.parse(approved.stdout).approvalsUsed, [fp]);
  assert.equal((await db.query('SELECT count(*)::int AS n FROM users WHERE flag'))[0]!.n, 5);

  // The same approval does not cover a different destructive statement of another script.
  const other = await exec(dir, '--approve', fp, '--', 'node', 'two.js');
  assert.equal(other.code, 6, other.stderr + other.stdout);
  const otherDoc = JSON.parse(other.stdout);
  assert.deepEqual(
    otherDoc.refused.map((r: { sql: string }) => r.sql),
    ['DELETE FROM log'],
  );
  assert.equal((await db.query('SELECT count(*)::int AS n FROM log'))[0]!.n, 1, 'the DELETE did not run');
});

test('invariant: exec — the whole-run timeout cancels a long statement quickly, and nothing of the run is left on the server', async (t) => {
  const db = await createTestDatabase();
  const dir = project(db, { 'sleep.js': pgScript("    await c.query('SELECT pg_sleep(30)');") });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const started = Date.now();
  const res = await exec(dir, '--timeout', '2s', '--', 'node', 'sleep.js');
  const took = Date.now() - started;
  assert.equal(res.code, 1, res.stderr + res.stdout);
  const doc = JSON.parse(res.stdout);
  assert.equal(doc.child.timedOut, true);
  assert.equal(doc.timeoutMs, 2000);
  assert.ok(took < 15_000, `stopped quickly (${took} ms)`);
  const left = await db.query(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
  );
  assert.deepEqual(left, [], 'no session of the run still sleeps');
  const [run] = await db.query('SELECT kind, outcome FROM pgward.guard_runs WHERE id = $1', [doc.auditRun]);
  assert.deepEqual(run, { kind: 'exec', outcome: 'timed-out' });
});

test('invariant: exec — the command never sees the real URL or password, only the guard', async (t) => {
  const db = await createTestDatabase();
  const secret = decodeURIComponent(new URL(db.url).password);
  assert.ok(secret.length > 0, 'the test database has a password to leak');
  const dir = project(db, {
    'env.js': `${pgScript("    await c.query('SELECT 1');")}
console.log(JSON.stringify(process.env));`,
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const res = await runCli(['exec', '--env', 'production', '--json', '--', 'node', 'env.js'], {
    cwd: dir,
    // The parent's own settings carrying the real database must not reach the child either.
    env: { NODE_PATH: join(ROOT, 'node_modules'), PGPASSWORD: secret, MY_DB: db.url },
  });
  assert.equal(res.code, 0, res.stderr + res.stdout);
  const childEnv = JSON.parse(res.stderr.split('\n').find((l) => l.startsWith('{"'))!) as Record<
    string,
    string
  >;
  assert.ok(!JSON.stringify(childEnv).includes(secret), 'no variable carries the real password');
  assert.match(childEnv.DATABASE_URL!, /^postgres(ql)?:\/\/[^@]+@127\.0\.0\.1:\d+\//);
  assert.notEqual(childEnv.PGPASSWORD, secret);
  assert.equal(childEnv.MY_DB, undefined);
});

test('exec — psql -c works behind the guard; a multi-statement -c is approved by the fingerprint of its whole text; the audit row is kind exec', async (t) => {
  const db = await createTestDatabase();
  await seed(db);
  const dir = project(db);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ok = await exec(
    dir,
    '--',
    'psql',
    '-X',
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    "INSERT INTO log (msg) VALUES ('psql')",
  );
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  const okDoc = JSON.parse(ok.stdout);
  assert.equal(okDoc.statements, 1);
  const run = (
    await db.query(
      'SELECT kind, outcome, exit_code, statements, command FROM pgward.guard_runs WHERE id = $1',
      [okDoc.auditRun],
    )
  )[0]!;
  assert.equal(run.kind, 'exec');
  assert.equal(run.outcome, 'succeeded');
  assert.equal(run.exit_code, 0);
  assert.match(run.command, /^psql -X/);

  const text = 'DELETE FROM users; INSERT INTO log (msg) VALUES (1)';
  const refused = await exec(dir, '--', 'psql', '-X', '-c', text);
  assert.equal(refused.code, 6, refused.stderr + refused.stdout);
  const doc = JSON.parse(refused.stdout);
  assert.equal(doc.refused[0].fingerprint, statementFingerprint(text));
  assert.equal((await db.query('SELECT count(*)::int AS n FROM users'))[0]!.n, 5);
  const [audit] = await db.query('SELECT kind, outcome FROM pgward.guard_runs WHERE id = $1', [doc.auditRun]);
  assert.deepEqual(audit, { kind: 'exec', outcome: 'refused' });

  const approved = await exec(dir, '--approve', doc.refused[0].fingerprint, '--', 'psql', '-X', '-c', text);
  assert.equal(approved.code, 0, approved.stderr + approved.stdout);
  assert.equal((await db.query('SELECT count(*)::int AS n FROM users'))[0]!.n, 0);
});

test('exec — a failing command exits 1 naming its exit code; a bad fingerprint or a missing command is a usage error', async (t) => {
  const db = await createTestDatabase();
  const dir = project(db, { 'fail.js': 'process.exit(4)' });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const failed = await runCli(['exec', '--env', 'production', '--', 'node', 'fail.js'], { cwd: dir });
  assert.equal(failed.code, 1, failed.stderr + failed.stdout);
  assert.match(failed.stdout, /node failed: exit code 4/);
  const bad = await exec(dir, '--approve', 'nothex', '--', 'node', 'fail.js');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--approve nothex: not a statement fingerprint/);
  const missing = await exec(dir, '--', 'no-such-command-pgward');
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /cannot run no-such-command-pgward: not found/);
});

test('invariant: exec — SIGINT cancels the running statement, stops the command and exits 130 with nothing left running', async (t) => {
  const db = await createTestDatabase();
  const dir = project(db, { 'sleep.js': pgScript("    await c.query('SELECT pg_sleep(60)');") });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sleeping = () =>
    db.query(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'SELECT pg_sleep(60)' AND pid <> pg_backend_pid()",
    );
  const started = Date.now();
  const res = await runCli(['exec', '--env', 'production', '--json', '--', 'node', 'sleep.js'], {
    cwd: dir,
    env: { NODE_PATH: join(ROOT, 'node_modules') },
    onSpawn: (child) => {
      const poll = setInterval(async () => {
        if ((await sleeping()).length === 0) return;
        clearInterval(poll);
        child.kill('SIGINT');
      }, 200);
      child.once('close', () => clearInterval(poll));
    },
  });
  assert.equal(res.code, 130, res.stderr + res.stdout);
  assert.ok(Date.now() - started < 30_000, 'stopped well before the statement would have ended');
  assert.deepEqual(await sleeping(), [], 'the statement was cancelled');
  const runs = await db.query("SELECT outcome FROM pgward.guard_runs WHERE kind = 'exec'");
  assert.deepEqual(runs, [{ outcome: 'interrupted' }]);
});

test('exec — the command must follow --, so that its own options are never taken as pgward’s', async (t) => {
  const db = await createTestDatabase();
  const dir = project(db);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const res = await runCli(['exec', '--env', 'production', 'node', 'x.js'], { cwd: dir });
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /exec: put the command after --/);
});

test('exec — the policy’s timeouts are forced on the command’s sessions', async (t) => {
  const db = await createTestDatabase();
  const dir = makeProject({
    'pgward.yaml': `environments:\n  production:\n    url: ${db.url}\n    policy:\n      lock_timeout: 1234ms\n      statement_timeout: 2min\n`,
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const res = await exec(
    dir,
    '--',
    'psql',
    '-XAt',
    '-c',
    "SELECT current_setting('lock_timeout') || '|' || current_setting('statement_timeout')",
  );
  assert.equal(res.code, 0, res.stderr + res.stdout);
  assert.match(res.stderr, /^1234ms\|2min$/m);
});

test('invariant: exec — another environment’s name for production’s database still gets production’s policy', async (t) => {
  const db = await createTestDatabase();
  await seed(db);
  const spelled = db.url.replace('127.0.0.1', 'localhost');
  const dir = makeProject({
    'pgward.yaml': `environments:\n  production:\n    url: ${db.url}\n  staging:\n    url: ${spelled}\n    protected: false\n`,
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const res = await runCli(
    ['exec', '--env', 'staging', '--json', '--', 'psql', '-X', '-c', 'UPDATE users SET flag = true'],
    {
      cwd: dir,
    },
  );
  assert.equal(res.code, 6, res.stderr + res.stdout);
  const doc = JSON.parse(res.stdout);
  assert.equal(doc.env, 'production');
  assert.match(doc.refused[0].message, /the production policy blocks/);
  assert.equal((await db.query('SELECT count(*)::int AS n FROM users WHERE flag'))[0]!.n, 0);
});

test('invariant: exec — a statement judged after the script’s own transaction locked its table is decided, never left waiting on that lock', async (t) => {
  const db = await createTestDatabase();
  await seed(db);
  const dir = project(db, {
    'locked.js': pgScript(`
    await c.query('BEGIN');
    await c.query('ALTER TABLE users ADD COLUMN note text');
    await c.query('UPDATE users SET flag = true');
    await c.query('COMMIT');`),
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const res = await exec(dir, '--timeout', '30s', '--', 'node', 'locked.js');
  assert.equal(res.code, 6, res.stderr + res.stdout);
  assert.equal(JSON.parse(res.stdout).child.timedOut, false);
  const cols = await db.query(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'",
  );
  assert.ok(!cols.some((c) => c.column_name === 'note'), 'the ALTER rolled back with the refused statement');
});
