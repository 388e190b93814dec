// serve's jobs survive a crashed replica: a running job holds a lease its replica renews; a replica
// killed with SIGKILL mid-job leaves a `running` row that another replica fails (lease expired, naming
// the dead runner) and alerts once; alerts live in pgward.alerts so every replica reports the same firing
// set and the resolution is sent once; job history is pruned without losing what health reports.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { JOB_LOCK_CLASS } from '../src/serve/store.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration } from './harness/project.js';
import {
  afterRefreshes,
  getJson,
  type Hook,
  type ServeProcess,
  startHook,
  startServe,
  until,
} from './harness/serve.js';

const EVERY_SECOND = '* * * * * *';
const NEVER_IN_A_TEST = '0 0 1 1 *'; // once a year: the scheduler (and its housekeeping) runs, no slot fires

interface LeaseProjectOptions {
  hook?: Hook | undefined;
  backupCron?: string;
  /** Extra lines under serve.jobs (e.g. retention settings). */
  extra?: string;
  lease?: string;
}

/** pgward.yaml: `prod` backs up on `backupCron` into `store`, with short leases. */
function leaseConfig(db: TestDatabase, store: string, o: LeaseProjectOptions = {}): string {
  return `environments:
  prod:
    url: ${db.url}
    schedule:
      backup: "${o.backupCron ?? EVERY_SECOND}"
serve:
  refresh_interval: 200ms
${o.hook ? `  webhook_url: ${o.hook.url}\n` : ''}  jobs:
    lease: ${o.lease ?? '1s'}
${o.extra ?? ''}backups:
  storage: file://${store}
`;
}

/** A project (with its own backup storage) configured by leaseConfig. */
function leaseProject(db: TestDatabase, o: LeaseProjectOptions = {}): { dir: string; store: string } {
  const store = makeProject({});
  const dir = makeProject({
    'pgward.yaml': leaseConfig(db, store, o),
    'db/migrations/001_a.sql': migration('CREATE TABLE a (id int);'),
  });
  return { dir, store };
}

interface JobRowLite {
  id: string;
  outcome: string;
  error: string | null;
  runner: string;
  scheduled_for: Date;
  lease_until: Date | null;
}

async function backupRows(db: TestDatabase): Promise<JobRowLite[]> {
  return db
    .query<JobRowLite>(
      "SELECT id::text, outcome, error, runner, scheduled_for, lease_until FROM pgward.jobs WHERE job = 'backup' ORDER BY id",
    )
    .catch(() => []);
}

/** Holds ACCESS EXCLUSIVE on `t`: pg_dump (and so the backup job) waits until it is released. */
async function blockDumps(db: TestDatabase): Promise<{ release(): Promise<void> }> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query('BEGIN');
  await c.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
  return {
    release: async () => {
      await c.query('ROLLBACK').catch(() => {});
      await c.end().catch(() => {});
    },
  };
}

/** The first backup row once the job (its row counts or pg_dump) waits on our lock: genuinely mid-run. */
async function runningBackupBlocked(db: TestDatabase): Promise<JobRowLite> {
  return until(async () => {
    const waiting = await db.query(
      "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if (!waiting.length) return undefined;
    return (await backupRows(db)).find((r) => r.outcome === 'running');
  }, 'a backup job blocked mid-run');
}

/** pg_dump children orphaned by a SIGKILLed serve would otherwise keep waiting on the lock. */
async function endOrphanDumps(db: TestDatabase): Promise<void> {
  await db.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pg_dump'",
  );
}

function count(hook: Hook, key: string, event: 'alert' | 'resolved'): number {
  return hook.received.filter((m) => m.pgward.key === key && m.pgward.event === event).length;
}

async function stopAll(list: (ServeProcess | undefined)[]): Promise<void> {
  await Promise.all(list.map((s) => s?.stop()));
}

async function seedTable(db: TestDatabase): Promise<void> {
  await db.query('CREATE TABLE t (id bigint PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)');
}

test('invariant: a job whose replica was killed mid-run is failed by another replica (lease expired, naming the runner), alerted once across replicas, and its slot is not re-run', async () => {
  const db = await createTestDatabase();
  await seedTable(db);
  const hook = await startHook();
  const { dir, store } = leaseProject(db, { hook });
  const lock = await blockDumps(db);
  let a: ServeProcess | undefined;
  const others: ServeProcess[] = [];
  try {
    a = await startServe(dir, ['--env', 'prod']);
    const crashed = await runningBackupBlocked(db);
    const pid = a.child.pid!;
    assert.match(crashed.runner, new RegExp(`pid ${pid}\\b`));
    a.child.kill('SIGKILL');
    await a.stop();

    // The restarted replica and a second one sweep together; neither runs a backup slot.
    writeFileSync(join(dir, 'pgward.yaml'), leaseConfig(db, store, { hook, backupCron: NEVER_IN_A_TEST }));
    others.push(await startServe(dir, ['--env', 'prod']), await startServe(dir, ['--env', 'prod']));
    const failed = await until(async () => {
      const row = (await backupRows(db)).find((r) => r.id === crashed.id);
      return row?.outcome === 'failed' ? row : undefined;
    }, 'the crashed job to be failed');
    assert.match(failed.error ?? '', /lease expired/);
    assert.match(failed.error ?? '', new RegExp(`${hostname()} pid ${pid}\\b`), 'names the dead replica');
    await until(async () => (count(hook, 'job_failed:backup', 'alert') >= 1 ? true : undefined), 'the alert');
    await afterRefreshes(others[0]!.url, 3);
    assert.equal(count(hook, 'job_failed:backup', 'alert'), 1, 'one alert across the replicas');
    const alert = hook.received.find((m) => m.pgward.key === 'job_failed:backup')!;
    assert.match(alert.pgward.message, /lease expired/);
    assert.match(alert.pgward.message, new RegExp(`pid ${pid}\\b`), 'the alert names the dead replica');

    // Policy: the crashed slot is not re-run; no other backup row was started for it or by the survivors.
    const rows = await backupRows(db);
    assert.equal(rows.filter((r) => r.scheduled_for.getTime() === crashed.scheduled_for.getTime()).length, 1);
    assert.ok(
      rows.every((r) => r.runner.includes(`pid ${pid})`)),
      `only the dead replica ran backups: ${rows.map((r) => r.runner).join(', ')}`,
    );
    // A replica that never raised it reports it firing too: the set lives in pgward.alerts.
    const viewer = await startServe(dir, ['--env', 'prod', '--no-scheduler']);
    others.push(viewer);
    await afterRefreshes(viewer.url, 2);
    for (const s of others)
      assert.ok((await getJson(`${s.url}/health`)).json.alerts.includes('job_failed:backup'), s.url);
  } finally {
    await endOrphanDumps(db);
    await lock.release();
    await stopAll([a, ...others]);
  }

  // Two replicas run backups again: the first success resolves the alert, once.
  writeFileSync(join(dir, 'pgward.yaml'), leaseConfig(db, store, { hook }));
  const c = await startServe(dir, ['--env', 'prod']);
  const d = await startServe(dir, ['--env', 'prod']);
  try {
    await until(
      async () => (count(hook, 'job_failed:backup', 'resolved') >= 1 ? true : undefined),
      'the resolution',
    );
    await afterRefreshes(c.url, 3);
    await afterRefreshes(d.url, 1);
    assert.equal(count(hook, 'job_failed:backup', 'resolved'), 1, 'resolved once across the replicas');
    assert.equal(count(hook, 'job_failed:backup', 'alert'), 1, 'never re-raised');
    for (const s of [c, d])
      assert.ok(!(await getJson(`${s.url}/health`)).json.alerts.includes('job_failed:backup'), s.url);
    const crashedAfter = (await backupRows(db))[0]!;
    assert.equal(crashedAfter.outcome, 'failed', 'later successes do not rewrite the crashed run');
  } finally {
    await stopAll([c, d]);
    await hook.close();
  }
});

test('invariant: a killed replica is detected from its vanished session, long before a long lease lapses', async () => {
  const db = await createTestDatabase();
  await seedTable(db);
  const { dir, store } = leaseProject(db, { lease: '1h' });
  const lock = await blockDumps(db);
  let a: ServeProcess | undefined;
  let b: ServeProcess | undefined;
  try {
    a = await startServe(dir, ['--env', 'prod']);
    const crashed = await runningBackupBlocked(db);
    const pid = a.child.pid!;
    a.child.kill('SIGKILL');
    await a.stop();
    writeFileSync(
      join(dir, 'pgward.yaml'),
      leaseConfig(db, store, { backupCron: NEVER_IN_A_TEST, lease: '1h' }),
    );
    b = await startServe(dir, ['--env', 'prod']);
    const failed = await until(async () => {
      const row = (await backupRows(db)).find((r) => r.id === crashed.id);
      return row?.outcome === 'failed' ? row : undefined;
    }, 'the crashed job to be failed');
    assert.ok(failed.lease_until!.getTime() > Date.now() + 30 * 60_000, 'its lease had not lapsed');
    assert.match(failed.error ?? '', /lease expired: .*is gone/);
    assert.match(failed.error ?? '', new RegExp(`pid ${pid}\\b`));
  } finally {
    await endOrphanDumps(db);
    await lock.release();
    await stopAll([a, b]);
  }
});

test('invariant: a live replica renews its lease, so a job running longer than the lease is never failed by another replica', async () => {
  const db = await createTestDatabase();
  await seedTable(db);
  const { dir } = leaseProject(db);
  const lock = await blockDumps(db);
  let released = false;
  const a = await startServe(dir, ['--env', 'prod']);
  const b = await startServe(dir, ['--env', 'prod']);
  try {
    const long = await runningBackupBlocked(db);
    const firstLease = long.lease_until!.getTime();
    // Seven leases long (past the claim-to-lock grace too), while the other replica sweeps every half lease.
    await new Promise((r) => setTimeout(r, 7_000));
    const still = (await backupRows(db)).find((r) => r.id === long.id)!;
    assert.equal(still.outcome, 'running', still.error ?? '');
    assert.ok(still.lease_until!.getTime() > firstLease + 2_000, 'the lease was renewed');
    await lock.release();
    released = true;
    const done = await until(async () => {
      const row = (await backupRows(db)).find((r) => r.id === long.id);
      return row && row.outcome !== 'running' ? row : undefined;
    }, 'the long job to finish');
    assert.equal(done.outcome, 'ok', done.error ?? '');
    assert.ok(!a.logs().includes('lease lost') && !b.logs().includes('lease expired'), a.logs() + b.logs());
  } finally {
    if (!released) await lock.release();
    await stopAll([a, b]);
  }
});

test('invariant: a run whose row another replica has failed stops, and never overwrites that verdict', async () => {
  const db = await createTestDatabase();
  await seedTable(db);
  const { dir } = leaseProject(db);
  const lock = await blockDumps(db);
  let released = false;
  const a = await startServe(dir, ['--env', 'prod']);
  try {
    const run = await runningBackupBlocked(db);
    // What a sweeping replica does when it decides the run is dead (e.g. a partition hid its renewals).
    const verdict = 'lease expired: taken over by another replica (test)';
    await db.query(
      "UPDATE pgward.jobs SET outcome = 'failed', finished_at = now(), error = $2 WHERE id = $1::bigint",
      [run.id, verdict],
    );
    await until(async () => (/lease lost/.test(a.logs()) ? true : undefined), 'the replica to notice');
    await lock.release();
    released = true;
    await until(
      async () => (/the recorded failure stands/.test(a.logs()) ? true : undefined),
      'the run to end',
    );
    const row = (await backupRows(db)).find((r) => r.id === run.id)!;
    assert.equal(row.outcome, 'failed');
    assert.equal(row.error, verdict, 'the verdict stands');
  } finally {
    if (!released) await lock.release();
    await a.stop();
  }
});

test('invariant: job history pruning keeps running runs, each job latest run and latest success, and drops runs beyond keep_runs or older than keep_days', async () => {
  const db = await createTestDatabase();
  const { dir } = leaseProject(db, {
    backupCron: NEVER_IN_A_TEST,
    extra: '    keep_days: 7\n    keep_runs: 5\n',
  });
  // Creates pgward.jobs (and prunes nothing: there is nothing yet).
  const first = await startServe(dir, ['--env', 'prod']);
  await afterRefreshes(first.url, 1);
  await first.stop();
  const insert = (env: string, job: string, outcome: string, ago: string, lease = 'NULL') =>
    db.query(
      `INSERT INTO pgward.jobs (env, job, scheduled_for, started_at, finished_at, outcome, runner, lease_until)
       SELECT $1, $2, now() - $4::interval, now() - $4::interval,
              CASE WHEN $3 = 'running' THEN NULL ELSE now() - $4::interval END, $3, 'seed', ${lease}`,
      [env, job, outcome, ago],
    );
  for (let h = 1; h <= 10; h++) await insert('prod', 'backup', 'ok', `${h} hours`);
  await insert('prod', 'doctor', 'ok', '30 days');
  for (const d of [20, 21, 22]) await insert('prod', 'doctor', 'failed', `${d} days`);
  await insert('prod', 'doctor', 'failed', '1 hour');
  await insert('prod', 'verify', 'running', '20 days', "now() + interval '1 day'");
  await insert('prod', 'prune', 'failed', '40 days');
  await insert('staging', 'backup', 'ok', '40 days');
  await insert('staging', 'backup', 'ok', '41 days');

  // The running verify is genuinely running: a session holds its job lock, as its replica would.
  const runner = new pg.Client({ connectionString: db.url });
  await runner.connect();
  await runner.query('SELECT pg_advisory_lock($1, hashtext($2))', [JOB_LOCK_CLASS, 'prod:verify']);
  const s = await startServe(dir, ['--env', 'prod']);
  try {
    await until(async () => (/old run\(s\) pruned/.test(s.logs()) ? true : undefined), 'the prune');
    await afterRefreshes(s.url, 2);
  } finally {
    await s.stop();
    await runner.end();
  }
  const left = await db.query<{ env: string; job: string; outcome: string; age_h: number }>(
    `SELECT env, job, outcome, round(extract(epoch FROM now() - started_at) / 3600)::int AS age_h
       FROM pgward.jobs ORDER BY env, job, started_at DESC`,
  );
  const of = (env: string, job: string) =>
    left.filter((r) => r.env === env && r.job === job).map((r) => `${r.outcome}@${r.age_h}h`);
  assert.deepEqual(of('prod', 'backup'), ['ok@1h', 'ok@2h', 'ok@3h', 'ok@4h', 'ok@5h'], 'keep_runs');
  assert.deepEqual(of('prod', 'doctor'), ['failed@1h', 'ok@720h'], 'latest run and latest success kept');
  assert.deepEqual(of('prod', 'verify'), ['running@480h'], 'a running job is never pruned nor expired');
  assert.deepEqual(of('prod', 'prune'), ['failed@960h'], "a job's latest run is kept");
  assert.equal(of('staging', 'backup').length, 2, 'another environment is not touched');
});
