// The guard on its own, with real clients: libpq (psql, psycopg2) and node-postgres, simple and extended
// protocol, transactions, cancel requests, refusals, and the record of every statement.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import pg from 'pg';
import { defaultPolicy } from '../src/config/target.js';
import { connect } from '../src/db/connect.js';
import { policyInspector } from '../src/guard/inspect.js';
import { type Guard, startGuard } from '../src/guard/proxy.js';
import type { StatementRecord } from '../src/guard/types.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';

/** Runs a client program without blocking this process, where the guard runs. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', env, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function guarded(
  t: { after: (fn: () => Promise<void>) => void },
  db: TestDatabase,
  approved = false,
): Promise<{ guard: Guard; records: StatementRecord[] }> {
  const control = await connect(db.url);
  const records: StatementRecord[] = [];
  const guard = await startGuard({
    upstreamUrl: db.url,
    settings: { lock_timeout: '1234ms', statement_timeout: '20s' },
    inspector: policyInspector({
      policy: defaultPolicy(true),
      env: 'production',
      control,
      serverVersionNum: 150000,
      approval: () => ({ approved, hint: 'pgward migrate --env production --approve 42' }),
    }),
    onStatement: (r) => records.push(r),
  });
  t.after(async () => {
    await guard.close();
    await control.end();
  });
  return { guard, records };
}

test('psql through the guard: the policy timeouts are forced on the session, its password is not the database one', async (t) => {
  const db = await createTestDatabase();
  const { guard, records } = await guarded(t, db);
  const out = await run('psql', [
    guard.url,
    '-XAtc',
    "select current_setting('lock_timeout'), current_setting('statement_timeout')",
  ]);
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), '1234ms|20s');
  assert.equal(records.length, 1);
  assert.ok(!guard.url.includes(new URL(db.url).password));
  const bad = await run('psql', [guard.url.replace(guard.password, 'wrong'), '-XAtc', 'select 1']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /password authentication failed/);
});

test('invariant: a refused statement aborts the framework transaction and nothing of it applies', async (t) => {
  const db = await createTestDatabase();
  await db.query('CREATE TABLE keep (id int); INSERT INTO keep VALUES (1)');
  const { guard, records } = await guarded(t, db);
  const c = new pg.Client({ connectionString: guard.url });
  c.on('error', () => {});
  await c.connect();
  t.after(() => c.end());
  await c.query('BEGIN');
  await c.query('CREATE TABLE added (id int)');
  await assert.rejects(c.query('DROP TABLE keep'), (err: Error & { code?: string; hint?: string }) => {
    assert.equal(err.code, '42501');
    assert.match(err.message, /production policy blocks this destructive statement/);
    assert.match(err.hint ?? '', /--approve 42/);
    return true;
  });
  await assert.rejects(c.query('SELECT 1'), /current transaction is aborted/);
  await c.query('ROLLBACK');
  const tables = await db.query("SELECT relname FROM pg_class WHERE relname IN ('keep','added')");
  assert.deepEqual(
    tables.map((r) => r.relname),
    ['keep'],
  );
  const refused = records.find((r) => r.outcome === 'rejected');
  assert.ok(refused && /DROP TABLE keep/.test(refused.sql));
});

test('invariant: a refused extended-protocol statement never runs, with or without parameters', async (t) => {
  const db = await createTestDatabase();
  await db.query("CREATE TABLE users (id int, email text); INSERT INTO users VALUES (1, 'a')");
  const { guard } = await guarded(t, db);
  const c = new pg.Client({ connectionString: guard.url });
  c.on('error', () => {});
  await c.connect();
  t.after(() => c.end());
  await assert.rejects(c.query({ text: 'ALTER TABLE users DROP COLUMN email', values: [] }), /pgward/);
  await assert.rejects(c.query('UPDATE users SET email = $1', ['x']), /pgward/);
  assert.equal((await db.query('SELECT email FROM users'))[0]!.email, 'a');
  const cols = await db.query(
    "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users'",
  );
  assert.equal(cols[0]!.n, 2);
  // The session stays usable: the next statement runs.
  assert.equal((await c.query('SELECT count(*)::int AS n FROM users')).rows[0].n, 1);
});

test('approved: the same statement passes, and every statement is recorded with rows and parameters', async (t) => {
  const db = await createTestDatabase();
  await db.query('CREATE TABLE keep (id int)');
  const { guard, records } = await guarded(t, db, true);
  const c = new pg.Client({ connectionString: guard.url });
  c.on('error', () => {});
  await c.connect();
  t.after(() => c.end());
  await c.query('CREATE TABLE t (id int)');
  await c.query('INSERT INTO t SELECT generate_series(1, $1::int)', [7]);
  await c.query('DROP TABLE keep');
  const insert = records.find((r) => r.sql.startsWith('INSERT INTO t'));
  assert.equal(insert?.rows, 7);
  assert.deepEqual(insert?.params, ['7']);
  assert.ok(records.some((r) => r.sql === 'DROP TABLE keep' && r.outcome === 'ok'));
});

test('a CancelRequest from libpq reaches the statement it names through the guard', async (t) => {
  const db = await createTestDatabase();
  const { guard } = await guarded(t, db);
  const script = `
import psycopg2, threading, time, os
c = psycopg2.connect(os.environ["G"])
threading.Timer(0.5, c.cancel).start()
cur = c.cursor()
try:
    cur.execute("select pg_sleep(15)")
    print("not cancelled")
except psycopg2.Error as e:
    print(e.pgcode)
`;
  const started = Date.now();
  const out = await run('/usr/bin/python3', ['-c', script], { ...process.env, G: guard.url });
  assert.equal(out.stdout.trim(), '57014', out.stderr);
  assert.ok(Date.now() - started < 10_000);
});
