// `kill -9` of pgward mid-migration: the server must notice its client is gone and abort the statement
// (PostgreSQL 14+: client_connection_check_interval), releasing the migration lock and every row and
// table lock, instead of running the statement to its end. While the lock is held, `status` names who
// holds it and since when.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LOCK_CLASS, LOCK_OBJ } from '../src/migrate/lock.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';

const LOCK_KEY = ((BigInt(LOCK_CLASS) << 32n) | BigInt(LOCK_OBJ)).toString();

/** Polls until `fn` returns a value; the bound is generous (the point is "not 30 s", not a timing). */
async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sleepingBackend(db: TestDatabase, app: RegExp): Promise<number> {
  return until(async () => {
    const rows = await db.query(
      "SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(30)%'",
    );
    return rows.find((r) => app.test(r.application_name))?.pid as number | undefined;
  }, 'the migration to reach pg_sleep');
}

/** Waits until the backend is gone and the migration lock can be taken (and gives it back). */
async function orphanGone(db: TestDatabase, pid: number): Promise<void> {
  await until(async () => {
    const rows = await db.query(
      'SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE pid = $1) AS alive, pg_try_advisory_lock($2::bigint) AS free',
      [pid, LOCK_KEY],
    );
    // adminQuery's session ends right after: a lock it took is released with it
    return rows[0]!.alive === 0 && rows[0]!.free === true ? true : undefined;
  }, `server pid ${pid} to go away and free the migration lock`);
}

test('invariant: a killed migrate leaves no server session behind: the statement aborts and the migration lock is freed', async () => {
  const db = await createTestDatabase();
  const dir = makeProject({
    'db/migrations/001_slow.sql': migration('CREATE TABLE held (id int);\nSELECT pg_sleep(30);'),
  });
  let child: ChildProcess | undefined;
  const run = runCli(['migrate', '--url', db.url], { cwd: dir, onSpawn: (c) => (child = c) });
  const pid = await sleepingBackend(db, /^pgward migrate/);

  // While it runs, status says who holds the migration lock and since when.
  const status = await runCli(['status', '--url', db.url, '--json'], { cwd: dir });
  assert.equal(status.code, 3, status.stderr);
  const holder = JSON.parse(status.stdout).migrationLock;
  assert.equal(holder.pid, pid);
  assert.match(holder.applicationName, /^pgward migrate/);
  assert.equal(holder.state, 'active');
  for (const k of ['backendStart', 'xactStart', 'stateChange'])
    assert.ok(!Number.isNaN(Date.parse(holder[k])), k);
  const human = await runCli(['status', '--url', db.url], { cwd: dir });
  assert.match(
    human.stdout,
    new RegExp(`migration lock held by "pgward migrate[^"]*" \\(server pid ${pid}, user \\w+`),
  );
  assert.match(human.stdout, /in a transaction since \d{4}-/);

  child!.kill('SIGKILL');
  const r = await run;
  assert.equal(r.signal, 'SIGKILL');
  await orphanGone(db, pid);

  const after = await runCli(['status', '--url', db.url, '--json'], { cwd: dir });
  assert.equal(JSON.parse(after.stdout).migrationLock, null);
  const rows = await db.query("SELECT to_regclass('held') AS held");
  assert.equal(rows[0]!.held, null, 'the killed migration rolled back');
  // nothing holds the lock any more: a run that will not wait for it starts at once
  writeFileSync(join(dir, 'db/migrations/001_slow.sql'), migration('CREATE TABLE held (id int);'));
  const again = await runCli(['migrate', '--url', db.url, '--lock-wait', '0s'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
});

test('invariant: a rollback killed inside a no-transaction down section is recorded as partial and frees the lock', async () => {
  const db = await createTestDatabase();
  const dir = makeProject({
    'pgward.yaml': 'environments:\n  staging:\n    url: ${DB_URL}\n    policy:\n      pause_seconds: 0\n',
    'db/migrations/001_a.sql': migration(
      'CREATE TABLE a (id int);',
      'DROP TABLE IF EXISTS a;\nSELECT pg_sleep(30);',
      {
        noTransaction: true,
      },
    ),
  });
  const env = { DB_URL: db.url };
  assert.equal((await runCli(['migrate', '--env', 'staging'], { cwd: dir, env })).code, 0);
  let child: ChildProcess | undefined;
  const run = runCli(['rollback', '--env', 'staging'], { cwd: dir, env, onSpawn: (c) => (child = c) });
  const pid = await sleepingBackend(db, /^pgward rollback/);
  child!.kill('SIGKILL');
  await run;
  await orphanGone(db, pid);
  const status = await runCli(['status', '--env', 'staging', '--json'], { cwd: dir, env });
  assert.equal(status.code, 4, status.stderr);
  const entry = JSON.parse(status.stdout).entries[0];
  assert.equal(entry.state, 'partial');
  assert.equal(entry.direction, 'down');
  assert.match(entry.note, /1 of 2 statements/);
});
