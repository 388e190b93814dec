// `pgward switch --env production --to dpg-… --yes` with `provider: render`, end to end: the built CLI,
// real databases on the test cluster (the simulated Render Postgres is backed by a copy of production's),
// the Render API simulator, and the app server for health. The app's database URL is set per key on
// every listed service (never the bulk PUT), a deploy applies it, and a failed deploy puts it back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AppServer, startAppServer } from './harness/app-server.js';
import { fillRich } from './harness/clone-fixtures.js';
import { TEST_PASSWORD } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';
import { type RenderSim, type SimService, startRenderSim } from './harness/render-sim.js';

let prod: TestDatabase;
let app: AppServer;
let sim: RenderSim;
let web: SimService;
let worker: SimService;
let dir: string;
let copies = 0;

/** A Render Postgres instance backed by a fresh copy of production's database. */
async function renderCopy(): Promise<{ id: string; db: string }> {
  const name = `${prod.name}_r${++copies}`;
  await adminQuery(prod.cluster.url('postgres'), `CREATE DATABASE ${name} TEMPLATE ${prod.name}`);
  return { id: sim.addPostgres({ database: name, id: `dpg-copy${copies}${'0'.repeat(14)}-a` }).id, db: name };
}

const sw = (args: string[]) =>
  runCli(['switch', '--env', 'production', ...args], {
    cwd: dir,
    env: { PROD_URL: prod.url, RENDER_API_KEY: sim.apiKey, PGWARD_RENDER_POLL_MS: '20' },
  });

/** Env var writes the simulator received: per key (PUT …/env-vars/KEY) and bulk (PUT …/env-vars). */
function envWrites(since: number) {
  const puts = sim.requests.slice(since).filter((r) => r.method === 'PUT');
  return {
    perKey: puts.filter((r) => /\/env-vars\/[^/]+$/.test(r.path)).map((r) => r.path),
    bulk: puts.filter((r) => /\/env-vars$/.test(r.path)).map((r) => r.path),
  };
}
const deploysOf = (s: SimService) => sim.deploys(s.id).filter((d) => d.trigger === 'api');

before(async () => {
  prod = await createTestDatabase();
  await fillRich(prod, 20);
  app = await startAppServer();
  sim = await startRenderSim({ stepMs: 20, cluster: prod.cluster });
  web = sim.addService({ name: 'web', env: { DATABASE_URL: prod.url, OTHER: 'kept' } });
  worker = sim.addService({ name: 'worker', type: 'background_worker', env: { DATABASE_URL: prod.url } });
  dir = makeProject({
    'pgward.yaml': `environments:
  production:
    url: \${PROD_URL}
    deploy:
      provider: render
      render:
        services: [${web.id}, ${worker.id}]
        api_url: ${sim.url}
      verify:
        health_url: ${app.healthUrl}
        checks: 2
        interval: 50ms
        timeout: 1s
`,
  });
});

after(async () => {
  await app?.close();
  await sim?.close();
});

describe('switch with provider render', () => {
  it('resolves a dpg- id, validates, PUTs DATABASE_URL per key on every service, deploys each, verifies and records', async () => {
    const { id, db } = await renderCopy();
    const mark = sim.requests.length;
    const r = await sw(['--to', id, '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.outcome, 'switched');
    assert.ok(
      sim.requests
        .slice(mark)
        .some((x) => x.method === 'GET' && x.path === `/v1/postgres/${id}/connection-info`),
    );
    const w = envWrites(mark);
    assert.deepEqual(w.bulk, [], 'never the bulk PUT (it deletes every key it omits)');
    assert.deepEqual(
      w.perKey.sort(),
      [
        `/v1/services/${web.id}/env-vars/DATABASE_URL`,
        `/v1/services/${worker.id}/env-vars/DATABASE_URL`,
      ].sort(),
    );
    for (const s of [web, worker]) {
      assert.equal(new URL(s.env.get('DATABASE_URL')!).pathname, `/${db}`);
      assert.equal(deploysOf(s).length, 1, `one deploy of ${s.name} applies the new URL`);
      assert.equal(sim.liveDeploy(s.id)!.id, deploysOf(s)[0]!.id);
    }
    assert.equal(web.env.get('OTHER'), 'kept');
    const rows = await adminQuery(prod.url, 'SELECT outcome, platform_deploy_id FROM pgward.switches');
    assert.equal(rows[0]!.outcome, 'switched');
    assert.match(rows[0]!.platform_deploy_id, /^dep-/);
    for (const t of [r.stdout, r.stderr, JSON.stringify(rows)]) {
      assert.ok(!t.includes(TEST_PASSWORD), 'database password leaked');
      assert.ok(!t.includes(sim.apiKey), 'API key leaked');
    }
    // back to production's own database for the next case
    web.env.set('DATABASE_URL', prod.url);
    worker.env.set('DATABASE_URL', prod.url);
  });

  it('a failed Render deploy puts DATABASE_URL back on every service and records the switch failed', async () => {
    const { id } = await renderCopy();
    const mark = sim.requests.length;
    const deploysBefore = deploysOf(worker).length;
    // The web service's deploy goes through; the worker's fails: the switch fails and goes back.
    sim.faults.failNextDeploy(worker.id, 'update_failed');
    const r = await sw(['--to', id, '--yes', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, false);
    assert.match(doc.error.message, /the platform step ended update_failed: Render deploy dep-\w+ of /);
    assert.match(doc.error.message, new RegExp(`the app was pointed back at ${prod.name}$`));
    for (const s of [web, worker]) assert.equal(s.env.get('DATABASE_URL'), prod.url, `${s.name} points back`);
    const w = envWrites(mark);
    assert.deepEqual(w.bulk, []);
    // Set to the new database, then back: two per-key writes on each service.
    assert.equal(w.perKey.filter((p) => p.includes(web.id)).length, 2);
    assert.equal(w.perKey.filter((p) => p.includes(worker.id)).length, 2);
    assert.ok(deploysOf(worker).length >= deploysBefore + 2, 'the way back deploys too');
    assert.equal(sim.liveDeploy(worker.id)!.status, 'live');
    const rows = await adminQuery(
      prod.url,
      "SELECT outcome FROM pgward.switches WHERE outcome <> 'switched'",
    );
    assert.deepEqual(rows, [{ outcome: 'failed' }]);
  });
});
