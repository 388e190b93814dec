// pgward doctor on real PostgreSQL: each check turned to warn/fail by a real condition, thresholds from
// the environment, backups from the catalog, pg_stat_statements, the CLI report, JSON and exit codes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { createBackup } from '../src/backup/create.js';
import { openStorage } from '../src/backup/storage.js';
import { verifyBackup } from '../src/backup/verify.js';
import { parseConfigText } from '../src/config/load.js';
import type { CheckId } from '../src/config/sections/doctor.js';
import { defaultPolicy, type Target } from '../src/config/target.js';
import { runDoctor, thresholdsFor } from '../src/doctor/doctor.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../src/doctor/thresholds.js';
import type { DoctorReport } from '../src/doctor/types.js';
import { UsageError } from '../src/errors.js';
import { startCluster, TEST_PASSWORD } from './harness/cluster.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';

const target = (db: TestDatabase, env = 'staging'): Target => ({
  env,
  url: db.url,
  protected: false,
  policy: defaultPolicy(false),
});
const check = (r: DoctorReport, id: CheckId) => {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} present`);
  return c;
};

test('a healthy empty database passes the database checks', async () => {
  const db = await createTestDatabase();
  const r = await runDoctor({ target: target(db), backups: false });
  assert.equal(r.connected, true);
  for (const id of [
    'connectivity',
    'server_version',
    'connections',
    'idle_in_transaction',
    'long_queries',
    'blocking_locks',
    'wraparound',
    'sequences',
    'dead_tuples',
    'invalid_indexes',
    'unused_indexes',
    'replication_lag',
    'replication_slots',
  ] as CheckId[])
    assert.equal(check(r, id).status, 'pass', `${id}: ${check(r, id).summary}`);
  assert.ok(r.figures && r.figures.serverVersionNum >= 130000);
  assert.equal(check(r, 'top_queries').status, 'skip');
});

test('real problems: int4 sequence, invalid and unused index, dead tuples, idle in transaction, blocking lock', async () => {
  const db = await createTestDatabase();
  await db.query(`
    CREATE TABLE orders (id serial PRIMARY KEY, code int, note text) WITH (autovacuum_enabled = off);
    CREATE INDEX orders_note ON orders (note);
    INSERT INTO orders (code, note) SELECT g % 10, 'n' || g FROM generate_series(1, 20000) g;
    DELETE FROM orders WHERE id > 2000;
    SELECT setval('orders_id_seq', 2100000000);`);
  // a failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index behind
  await db.query('CREATE UNIQUE INDEX CONCURRENTLY orders_code_uq ON orders (code)').catch(() => {});
  await db.query('ANALYZE orders');
  const idle = new pg.Client({ connectionString: db.url });
  const blocked = new pg.Client({ connectionString: db.url });
  await idle.connect();
  await blocked.connect();
  try {
    await idle.query('BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const waiting = blocked.query('SELECT count(*) FROM orders').catch(() => {});
    await new Promise((r) => setTimeout(r, 300)); // let the second session reach its lock wait
    const t: Thresholds = {
      ...DEFAULT_THRESHOLDS,
      idleInTransactionMs: { warn: 1, fail: 3_600_000 },
      lockWaitMs: { warn: 1, fail: 3_600_000 },
      unusedIndexMinBytes: 0,
    };
    const r = await runDoctor({ target: target(db), thresholds: t, backups: false });
    const seq = check(r, 'sequences');
    assert.equal(seq.status, 'fail');
    assert.match(seq.details!.join('\n'), /orders_id_seq 9\d\.\d% used \(feeds public\.orders\.id, int4\)/);
    assert.equal(check(r, 'invalid_indexes').status, 'warn');
    assert.match(check(r, 'invalid_indexes').details!.join(), /orders_code_uq/);
    assert.equal(check(r, 'unused_indexes').status, 'warn');
    assert.match(check(r, 'unused_indexes').details!.join(), /orders_note/);
    const dead = check(r, 'dead_tuples');
    assert.equal(dead.status, 'fail');
    assert.match(dead.summary, /public\.orders 90(\.0)?% dead/);
    assert.equal(check(r, 'idle_in_transaction').status, 'warn');
    const locks = check(r, 'blocking_locks');
    assert.equal(locks.status, 'warn');
    const detail = locks.details!.join('\n');
    assert.match(detail, /waiting .*SELECT count\(\*\) FROM orders/);
    assert.match(detail, /blocked by pid \d+ .*LOCK TABLE orders/);
    assert.equal(r.status, 'fail');
    await idle.query('ROLLBACK');
    await waiting;
  } finally {
    await idle.end();
    await blocked.end();
  }
});

test('thresholds per environment from pgward.yaml; a bad key is a config error with its line', () => {
  const cfg = parseConfigText(
    `environments:
  staging:
    url: postgres://u@h/db
    doctor:
      connections: { warn: 0.5, fail: 0.7 }
      idle_in_transaction: { warn: 30s }
      backup_age: { warn: 2h, fail: 6h }
      disabled: [unused_indexes]
  prod:
    url: postgres://u@h/db
`,
    '/tmp/pgward.yaml',
  );
  const s = thresholdsFor(cfg, 'staging');
  assert.deepEqual(s.connections, { warn: 0.5, fail: 0.7 });
  assert.deepEqual(s.idleInTransactionMs, {
    warn: 30_000,
    fail: DEFAULT_THRESHOLDS.idleInTransactionMs.fail,
  });
  assert.deepEqual(s.backupAgeMs, { warn: 7_200_000, fail: 21_600_000 });
  assert.deepEqual(s.disabled, ['unused_indexes']);
  assert.deepEqual(thresholdsFor(cfg, 'prod'), { ...DEFAULT_THRESHOLDS, disabled: [] });
  assert.throws(
    () =>
      parseConfigText(
        'environments:\n  a:\n    url: postgres://u@h/db\n    doctor:\n      conections: { warn: 0.5 }\n',
        '/tmp/pgward.yaml',
      ),
    (e: unknown) =>
      e instanceof UsageError && /:5: unknown key "environments\.a\.doctor\.conections"/.test(e.message),
  );
});

test('migrations pending and since when; backups and drills from the catalog', async () => {
  const db = await createTestDatabase();
  const dir = makeProject({
    'db/migrations/001_a.sql': migration('CREATE TABLE a (id int);'),
  });
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(join(dir, 'db/migrations/001_a.sql'), old, old);
  const store = makeProject({});
  const config = parseConfigText(`backups:\n  storage: file://${store}\n`, join(dir, 'pgward.yaml'));
  const source = { dir: join(dir, 'db/migrations'), framework: 'pgward' as const, table: undefined };
  let r = await runDoctor({ target: target(db), source, config });
  const m = check(r, 'migrations');
  assert.equal(m.status, 'fail', 'pending for an hour, past the 15 min default');
  // the file's modification time (second precision on some filesystems)
  const since = Date.parse(r.migrations?.pending[0]?.pendingSince ?? '');
  assert.equal(Math.floor(since / 1000), Math.floor(old.getTime() / 1000));
  assert.equal(check(r, 'backup_age').status, 'warn');
  assert.equal(check(r, 'drill_age').status, 'warn');

  const storage = await openStorage(`file://${store}`, { baseDir: dir });
  const manifest = await createBackup({ url: db.url, env: 'staging', storage });
  r = await runDoctor({ target: target(db), source, config });
  assert.equal(check(r, 'backup_age').status, 'pass');
  assert.equal(r.backups?.lastSuccessAt, manifest.finishedAt);
  assert.equal(check(r, 'drill_age').status, 'warn');
  await verifyBackup({ storage, ref: 'latest', env: 'staging', serverUrl: db.url });
  r = await runDoctor({ target: target(db), source, config });
  assert.equal(check(r, 'drill_age').status, 'pass', check(r, 'drill_age').summary);
  assert.ok(r.backups?.lastDrillPassedAt);
  // another environment's backups do not count
  r = await runDoctor({ target: target(db, 'other'), source, config });
  assert.equal(check(r, 'backup_age').status, 'warn');
});

test('pg_stat_statements: top queries when loaded (column names read from the view)', async () => {
  const cluster = await startCluster({ settings: { shared_preload_libraries: "'pg_stat_statements'" } });
  try {
    const db = await createTestDatabase(cluster);
    await db.query('CREATE EXTENSION pg_stat_statements');
    await db.query('CREATE TABLE big AS SELECT g FROM generate_series(1, 50000) g');
    await db.query('SELECT sum(g) FROM big');
    const r = await runDoctor({ target: target(db), backups: false });
    const top = check(r, 'top_queries');
    assert.equal(top.status, 'pass');
    assert.ok((r.topQueries?.length ?? 0) > 0);
    assert.ok(r.topQueries!.some((q) => /generate_series/.test(q.query)));
  } finally {
    cluster.stop();
  }
});

test('CLI: human report, --json, exit 8 on failure (0 otherwise, 8 on warn with --fail-on warn), unreachable', async () => {
  const db = await createTestDatabase();
  const ok = await runCli(['doctor', '--url', db.url, '--no-backups']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^PASS {2}Connectivity and latency/m);
  assert.match(ok.stdout, /passed, \d+ warning\(s\), 0 failed/);
  assert.ok(!ok.stdout.includes(TEST_PASSWORD));

  const dir = makeProject({
    'pgward.yaml': `environments:\n  staging:\n    url: ${db.url}\n    doctor:\n      backup_age: { warn: 1h }\n`,
  });
  const warn = await runCli(['doctor', '--env', 'staging', '--fail-on', 'warn'], { cwd: dir });
  assert.equal(warn.code, 8, 'no backup is a warning, and warnings fail with --fail-on warn');

  await db.query("CREATE TABLE s (id serial PRIMARY KEY); SELECT setval('s_id_seq', 2140000000)");
  const bad = await runCli(['doctor', '--env', 'staging', '--json'], { cwd: dir });
  assert.equal(bad.code, 8);
  const doc = JSON.parse(bad.stdout) as DoctorReport;
  assert.equal(doc.status, 'fail');
  assert.equal(doc.checks.find((c) => c.id === 'sequences')?.status, 'fail');
  assert.ok(!bad.stdout.includes(TEST_PASSWORD));

  const down = await runCli(['doctor', '--url', db.url.replace(/:\d+\//, ':1/'), '--no-backups']);
  assert.equal(down.code, 8);
  assert.match(down.stdout, /^FAIL {2}Connectivity and latency\s+cannot connect to .*connection refused/m);
  assert.ok(!`${down.stdout}${down.stderr}`.includes(TEST_PASSWORD));
  assert.ok(!down.stderr.includes('    at '));
});

test('invariant: the replication check sees a connected WAL receiver, and sees none once it is gone', async () => {
  // A private cluster: a WAL sender on the shared one would show up in every other test's doctor.
  const cluster = await startCluster();
  const walDir = mkdtempSync(join(tmpdir(), 'pgward-walrecv-'));
  const db: TestDatabase = { name: 'postgres', url: cluster.url(), cluster, query: async () => [] as never };
  const lagUntil = async (done: (summary: string) => boolean) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const lag = check(await runDoctor({ target: target(db), backups: false }), 'replication_lag');
      if (done(lag.summary) || Date.now() > deadline) return lag;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    const url = new URL(cluster.url());
    // pg_receivewal is a WAL sender's client, as a streaming standby is (the password in its environment).
    const receiver = spawn(
      join(cluster.binDir, 'pg_receivewal'),
      ['-D', walDir, '-h', url.hostname, '-p', url.port, '-U', decodeURIComponent(url.username), '--no-loop'],
      { env: { ...process.env, PGPASSWORD: TEST_PASSWORD }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    receiver.stderr!.on('data', (d) => {
      stderr += d;
    });
    try {
      const lag = await lagUntil((s) => /^1 standby/.test(s));
      assert.match(lag.summary, /^1 standby\(s\)/, `the receiver is seen (${stderr})`);
      assert.match(lag.details?.join('\n') ?? '', /pg_receivewal/);
    } finally {
      receiver.kill('SIGTERM');
      if (receiver.exitCode === null) await new Promise((r) => receiver.once('exit', r));
    }
    assert.equal((await lagUntil((s) => s === 'no standby connected')).summary, 'no standby connected');
  } finally {
    cluster.stop();
    rmSync(walDir, { recursive: true, force: true });
  }
});
