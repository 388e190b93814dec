// serve when the database goes away and comes back (own cluster, stopped and restarted), and two serve
// replicas with the same schedule: every scheduled slot runs once.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Cluster, pgCtl, startCluster } from './harness/cluster.js';
import { createTestDatabase } from './harness/db.js';
import { makeProject, migration } from './harness/project.js';
import { afterRefreshes, get, getJson, startServe } from './harness/serve.js';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster();
});
after(() => cluster.stop());

test('database down: /health 503 down within one refresh while /up stays 200; recovery reported', async () => {
  const db = await createTestDatabase(cluster);
  const dir = makeProject({
    'pgward.yaml': `environments:\n  prod:\n    url: ${db.url}\nserve:\n  refresh_interval: 200ms\n`,
    'db/migrations/001_a.sql': migration('CREATE TABLE a (id int);'),
  });
  const s = await startServe(dir, ['--env', 'prod']);
  try {
    assert.equal((await getJson(`${s.url}/health`)).json.database, 'connected');
    pgCtl(cluster, 'stop');
    await afterRefreshes(s.url);
    const down = await getJson(`${s.url}/health`);
    assert.equal(down.status, 503);
    assert.equal(down.json.status, 'down');
    assert.equal(down.json.database, 'unreachable');
    assert.equal(down.json.migrations.status, 'unknown');
    assert.equal(down.json.checks.connectivity.status, 'fail');
    assert.equal((await get(`${s.url}/up`)).status, 200);
    const metrics = await get(`${s.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^pgward_database_up 0$/m);

    pgCtl(cluster, 'start');
    await afterRefreshes(s.url);
    const back = await getJson(`${s.url}/health`);
    assert.equal(back.status, 200);
    assert.equal(back.json.database, 'connected');
    assert.equal(back.json.migrations.pending_count, 1, JSON.stringify(back.json));
    assert.match(s.logs(), /database unreachable/);
    assert.match(s.logs(), /database reachable again/);
  } finally {
    await s.stop();
  }
});

test('two replicas with the same schedule run each job slot once', async () => {
  const db = await createTestDatabase(cluster);
  await db.query('CREATE TABLE t (id bigint PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)');
  const store = makeProject({});
  const dir = makeProject({
    'pgward.yaml': `environments:
  prod:
    url: ${db.url}
    schedule:
      backup: "*/2 * * * * *"
      doctor: "* * * * * *"
serve:
  refresh_interval: 200ms
backups:
  storage: file://${store}
`,
    'db/migrations/001_a.sql': migration('CREATE TABLE a (id int);'),
  });
  const a = await startServe(dir, ['--env', 'prod']);
  const b = await startServe(dir, ['--env', 'prod']);
  try {
    // both run until at least three backup slots have been taken and each replica has claimed a slot
    // (which replica claims a slot first is a race: a few slots can all go to one, so wait, bounded)
    for (let i = 0; i < 400; i++) {
      const rows = await db
        .query(
          "SELECT count(*) FILTER (WHERE job = 'backup' AND outcome = 'ok')::int AS n, count(DISTINCT runner)::int AS r FROM pgward.jobs",
        )
        .catch(() => [{ n: 0, r: 0 }]);
      if ((rows[0]?.n ?? 0) >= 3 && (rows[0]?.r ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
  }
  const rows = await db.query<{
    job: string;
    scheduled_for: Date;
    n: number;
    outcomes: string[];
    runners: string[];
  }>(
    `SELECT job, scheduled_for, count(*)::int AS n, array_agg(outcome) AS outcomes, array_agg(runner) AS runners
       FROM pgward.jobs GROUP BY 1, 2 ORDER BY 2`,
  );
  const backupSlots = rows.filter((r) => r.job === 'backup' && r.outcomes[0] === 'ok');
  assert.ok(backupSlots.length >= 3, `at least three backup slots ran (${backupSlots.length})`);
  assert.ok(
    rows.every((r) => r.n === 1),
    'one row per slot',
  );
  // the real proof: the catalog holds exactly one backup per successful slot
  const manifests = readdirSync(store).filter((f) => f.endsWith('.manifest.json'));
  assert.equal(manifests.length, backupSlots.length);
  // both replicas took part (the first to claim a slot runs it)
  const runners = new Set(rows.flatMap((r) => r.runners));
  assert.equal(runners.size, 2, `both replicas ran jobs: ${[...runners].join(', ')}`);
  const doctorSlots = rows.filter((r) => r.job === 'doctor');
  assert.ok(doctorSlots.length >= 3);
});
