// serve --all shares the server-wide session scan among the environments on one server: one scan per
// server and role per interval. What must hold: an environment never gets a scan of another server or
// of another role (what the scan shows depends on the role), and a shared scan is never older than
// its age. A private cluster, so the only sessions are this test's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { defaultPolicy, type Target } from '../src/config/target.js';
import { runDoctor } from '../src/doctor/doctor.js';
import { activity } from '../src/doctor/probe-activity.js';
import { serverInfo } from '../src/doctor/probe-database.js';
import { ServerShare } from '../src/doctor/server-share.js';
import type { DoctorReport } from '../src/doctor/types.js';
import { type Cluster, startCluster, TEST_PASSWORD } from './harness/cluster.js';
import { adminQuery } from './harness/db.js';

let cluster: Cluster;
let other: Cluster;

before(async () => {
  [cluster, other] = await Promise.all([startCluster(), startCluster()]);
  for (const db of ['app_a', 'app_b']) await adminQuery(cluster.url(), `CREATE DATABASE ${db}`);
  await adminQuery(cluster.url(), `CREATE ROLE watcher LOGIN PASSWORD '${TEST_PASSWORD}'`);
});
after(() => {
  cluster?.stop();
  other?.stop();
});

const target = (url: string, env: string): Target => ({
  env,
  url,
  protected: false,
  policy: defaultPolicy(false),
});
const asWatcher = (url: string) => {
  const u = new URL(url);
  u.username = 'watcher';
  return u.toString();
};
/** Sessions the report counted as running a statement (its own doctor session is one of them). */
const active = (r: DoctorReport) => r.figures?.connectionsByState.active ?? 0;
const doctor = (url: string, env: string, share: ServerShare) =>
  runDoctor({ target: target(url, env), backups: false, share });

/** `n` sessions busy until released: each is an active session in every scan made meanwhile. */
async function busySessions(on: Cluster, url: string, n: number): Promise<() => Promise<void>> {
  const clients = await Promise.all(
    Array.from({ length: n }, async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'pgward-test busy' });
      await c.connect();
      return c;
    }),
  );
  const sleeping = clients.map((c) => c.query('SELECT pg_sleep(120)').catch(() => {}));
  const admin = on.url();
  for (let i = 0; ; i++) {
    const [r] = await adminQuery(
      admin,
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pgward-test busy' AND state = 'active'",
    );
    if (r?.n === n) break;
    if (i > 100) throw new Error('the busy sessions did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return async () => {
    await adminQuery(
      admin,
      "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgward-test busy'",
    );
    await Promise.all(sleeping);
    await Promise.all(clients.map((c) => c.end()));
  };
}

test('invariant: environments on one server as one role share one session scan while it is young; another role, another server or an older scan is never reused', async () => {
  const ageMs = 10_000;
  const share = new ServerShare(ageMs);
  const scannedAt = Date.now();
  const a = await doctor(cluster.url('app_a'), 'a', share);
  assert.equal(active(a), 1, 'env a: its own session only');
  const releases = [
    await busySessions(cluster, asWatcher(cluster.url('app_b')), 1),
    await busySessions(other, other.url('postgres'), 3),
  ];
  try {
    // Same server, same role, within the age: env b reads env a's scan (the busy session is not in it).
    const b = await doctor(cluster.url('app_b'), 'b', share);
    assert.equal(active(b), 1, 'env b reused the scan env a made');
    // Another role on the same server scans for itself: its own session and the busy one.
    const w = await doctor(asWatcher(cluster.url('app_b')), 'w', share);
    assert.equal(active(w), 2, 'another role never gets this role’s scan');
    // Another server (same role name): its own scan, with its three busy sessions.
    const o = await doctor(other.url('postgres'), 'o', share);
    assert.equal(active(o), 4, 'another server never gets this server’s scan');
    // Once env a's scan is older than the share's age, env b scans again (and sees the busy session).
    await new Promise((r) => setTimeout(r, scannedAt + ageMs + 100 - Date.now()));
    const later = await doctor(cluster.url('app_b'), 'b', share);
    assert.equal(active(later), 2, 'a scan older than the age is not reused');
  } finally {
    for (const release of releases) await release();
  }
});

test('invariant: a shared scan that failed for one environment is never handed to another: that one scans on its own', async () => {
  const open = async (db: string) => {
    const c = new pg.Client({ connectionString: cluster.url(db) });
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  const a = await open('app_a');
  const b = await open('app_b');
  try {
    const [infoA, infoB] = [await serverInfo(a), await serverInfo(b)];
    assert.deepEqual(infoA.key, infoB.key, 'one server, one role: one key');
    // Env a's connection is cut by the server: its scan fails while env b waits on it.
    await adminQuery(cluster.url(), 'SELECT pg_terminate_backend($1)', [infoA.pid]);
    const share = new ServerShare(60_000);
    const failing = share.activity(infoA.key, infoA.pid, () => activity(a, infoA.versionNum));
    const waiting = share.activity(infoB.key, infoB.pid, () => activity(b, infoB.versionNum));
    await assert.rejects(failing);
    const got = await waiting;
    assert.ok(got.clientConnections >= 1, 'env b has a scan of its own');
  } finally {
    await Promise.all([a, b].map((c) => c.end().catch(() => {})));
  }
});
