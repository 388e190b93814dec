// The library as a script uses it: one call with a URL and a directory, the same defaults as the CLI,
// and one error contract (throw a PgwardError when the call cannot start or refuses to; return the
// outcome otherwise), whose exit codes are the CLI's for the same situation.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { ExitCode, migrate, PgwardError, planMigrations, rollback, status } from '../src/index.js';
import { LOCK_CLASS, LOCK_OBJ } from '../src/migrate/lock.js';
import { TEST_PASSWORD } from './harness/cluster.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';

// The library reads the process's working directory and environment, like the CLI: each test sets them.
const cwd = process.cwd();
const saved = { DATABASE_URL: process.env.DATABASE_URL, PGWARD_ENV: process.env.PGWARD_ENV };
before(() => {
  delete process.env.DATABASE_URL;
  delete process.env.PGWARD_ENV;
});
after(() => {
  process.chdir(cwd);
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

async function tables(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ t: string }>(
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  );
  return rows.map((r) => r.t);
}

/** What a library call ended with: the exit code it returned, or the one of the PgwardError it threw. */
async function outcome(
  call: () => Promise<{ exitCode: number }>,
): Promise<{ code: number; thrown: boolean }> {
  try {
    return { code: (await call()).exitCode, thrown: false };
  } catch (err) {
    assert.ok(err instanceof PgwardError, `only PgwardErrors are thrown, got ${(err as Error)?.stack}`);
    assert.equal(typeof err.exitCode, 'number');
    for (const secret of [TEST_PASSWORD, 'hunter2-secret', 'wrong-pass'])
      assert.ok(!`${err.message} ${err.hint}`.includes(secret), `no password in an error: ${err.message}`);
    return { code: err.exitCode, thrown: true };
  }
}

test('invariant: migrate({ url, dir }) applies exactly what `pgward migrate --url --dir` would, in that database', async () => {
  const db = await createTestDatabase();
  const other = await createTestDatabase();
  const dir = makeProject({
    'sql/1_users.sql': migration('CREATE TABLE users (id int);'),
    'sql/2_posts.sql': migration('CREATE TABLE posts (id int);'),
  });
  process.chdir(dir);
  const result = await migrate({ url: db.url, dir: 'sql' });
  assert.equal(result.exitCode, ExitCode.ok);
  assert.deepEqual(
    result.applied.map((a) => a.version),
    ['1', '2'],
  );
  assert.deepEqual(await tables(db), ['posts', 'users']);
  assert.deepEqual(await tables(other), [], 'only the database named by url');
  // the CLI, given the same url and dir, sees it done
  const cli = await runCli(['status', '--url', db.url, '--dir', 'sql'], { cwd: dir });
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  const report = await status({ url: db.url, dir: 'sql' });
  assert.deepEqual(report.pending, []);
  assert.equal(report.exitCode, cli.code);
});

test('invariant: without dir or config the library uses db/migrations and the pgward.yaml the CLI would find', async () => {
  const db = await createTestDatabase();
  // no config: db/migrations under the working directory, DATABASE_URL as the database
  const bare = makeProject({ 'db/migrations/1_a.sql': migration('CREATE TABLE from_default (id int);') });
  process.chdir(bare);
  process.env.DATABASE_URL = db.url;
  try {
    assert.equal((await migrate({})).exitCode, 0);
  } finally {
    delete process.env.DATABASE_URL;
  }
  assert.deepEqual(await tables(db), ['from_default']);
  // a pgward.yaml in a parent directory: its migrations.dir and its only environment, as the CLI does
  const db2 = await createTestDatabase();
  const proj = makeProject({
    'pgward.yaml': `migrations:\n  dir: schema/changes\nenvironments:\n  staging:\n    url: ${db2.url}\n    policy:\n      pause_seconds: 0\n`,
    'schema/changes/1_b.sql': migration('CREATE TABLE from_config (id int);'),
    'db/migrations/1_wrong.sql': migration('CREATE TABLE wrong (id int);'),
    'sub/dir/.keep': '',
  });
  process.chdir(join(proj, 'sub', 'dir'));
  const planned = await planMigrations({});
  assert.deepEqual(
    planned.planned.map((p) => p.name),
    ['b'],
  );
  const r = await migrate({});
  assert.equal(r.env, 'staging');
  assert.deepEqual(await tables(db2), ['from_config']);
  // config: false ignores it: no URL at all is a usage error, thrown
  const none = await outcome(() => migrate({ config: false }));
  assert.deepEqual(none, { code: ExitCode.usage, thrown: true });
});

test('invariant: the library throws a PgwardError exactly when the CLI refuses, with the same exit code, and returns every outcome', async () => {
  const db = await createTestDatabase();
  await db.query('CREATE TABLE legacy (id int)');
  const dir = makeProject({
    'pgward.yaml': `environments:\n  production:\n    url: ${db.url}\n    policy:\n      backup_before_migrate: false\n`,
    'db/migrations/1_ok.sql': migration('CREATE TABLE ok (id int);', 'DROP TABLE ok;'),
  });
  process.chdir(dir);
  const mig = join(dir, 'db/migrations');
  const cli = async (args: string[]) => (await runCli(args, { cwd: dir })).code;
  const cases: {
    what: string;
    setup?: () => Promise<void> | void;
    lib: () => Promise<{ exitCode: number }>;
    args: string[];
    thrown: boolean;
  }[] = [
    {
      what: 'a --to no file has',
      lib: () => migrate({ env: 'production', to: '42', dryRun: true }),
      args: ['migrate', '--env', 'production', '--to', '42', '--dry-run'],
      thrown: true,
    },
    {
      what: 'an unknown environment',
      lib: () => status({ env: 'nope' }),
      args: ['status', '--env', 'nope'],
      thrown: true,
    },
    {
      what: 'a server that is not there',
      lib: () => status({ url: 'postgresql://u:hunter2-secret@127.0.0.1:1/x' }),
      args: ['status', '--url', 'postgresql://u:hunter2-secret@127.0.0.1:1/x'],
      thrown: true,
    },
    {
      what: 'a wrong password',
      lib: () => status({ url: db.url.replace(encodeURIComponent(TEST_PASSWORD), 'wrong-pass') }),
      args: ['status', '--url', db.url.replace(encodeURIComponent(TEST_PASSWORD), 'wrong-pass')],
      thrown: true,
    },
    {
      what: 'pending migrations (status outcome)',
      lib: () => status({ env: 'production' }),
      args: ['status', '--env', 'production'],
      thrown: false,
    },
    {
      what: 'a gate that blocks (outcome)',
      setup: () => writeFileSync(join(mig, '2_drop.sql'), migration('DROP TABLE legacy;')),
      lib: () => migrate({ env: 'production' }),
      args: ['migrate', '--env', 'production'],
      thrown: false,
    },
    {
      what: 'a migration that fails (outcome)',
      setup: () => writeFileSync(join(mig, '2_drop.sql'), migration('SELECT 1 / 0;')),
      lib: () => migrate({ env: 'production' }),
      args: ['migrate', '--env', 'production'],
      thrown: false,
    },
    {
      what: 'drift: an applied file changed',
      setup: () =>
        writeFileSync(join(mig, '1_ok.sql'), migration('CREATE TABLE ok (id bigint);', 'DROP TABLE ok;')),
      lib: () => migrate({ env: 'production' }),
      args: ['migrate', '--env', 'production'],
      thrown: true,
    },
    {
      what: 'a rollback refused on drift',
      lib: () => rollback({ env: 'production' }),
      args: ['rollback', '--env', 'production'],
      thrown: true,
    },
  ];
  for (const c of cases) {
    await c.setup?.();
    const lib = await outcome(c.lib);
    const code = await cli(c.args);
    assert.equal(lib.code, code, `${c.what}: library ${JSON.stringify(lib)}, CLI exit ${code}`);
    assert.equal(lib.thrown, c.thrown, `${c.what}: ${c.thrown ? 'thrown' : 'returned'}`);
    assert.notEqual(code, 0, `${c.what} is not a success`);
  }
});

test('invariant: a migration lock held elsewhere is thrown as exit 7 by the library, as the CLI exits', async () => {
  const db = await createTestDatabase();
  const dir = makeProject({ 'db/migrations/1_a.sql': migration('CREATE TABLE a (id int);') });
  process.chdir(dir);
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    const key = ((BigInt(LOCK_CLASS) << 32n) | BigInt(LOCK_OBJ)).toString();
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    const lib = await outcome(() => migrate({ url: db.url, lockWaitMs: 200 }));
    const cli = await runCli(['migrate', '--url', db.url, '--lock-wait', '200ms'], { cwd: dir });
    assert.deepEqual(lib, { code: ExitCode.lockBusy, thrown: true });
    assert.equal(cli.code, lib.code, cli.stderr);
    assert.deepEqual(await tables(db), []);
  } finally {
    await holder.end();
  }
});
