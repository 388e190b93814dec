// pgward migrate as a Render service's real pre-deploy command (the simulator spawns it, with the
// service's env vars, as Render does): a failing migration ends the deploy pre_deploy_failed, the
// previous deploy stays live and the database keeps only what committed; fixed, the next deploy goes live.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { RenderProvider } from '../src/platform/render/provider.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { CLI, cliEnv, makeProject, migration, writeFile } from './harness/project.js';
import { type RenderSim, startRenderSim } from './harness/render-sim.js';

let sim: RenderSim;
let db: TestDatabase;
let dir: string;

before(async () => {
  db = await createTestDatabase();
  dir = makeProject({
    'db/migrations/001_orders.sql': migration('CREATE TABLE orders (id bigint PRIMARY KEY);'),
    'db/migrations/002_broken.sql': migration(
      'CREATE TABLE order_lines (id bigint PRIMARY KEY);\nALTER TABLE no_such_table ADD COLUMN x int;',
    ),
  });
  sim = await startRenderSim({ stepMs: 20, preDeployCwd: dir, preDeployEnv: cliEnv() });
});
after(() => sim.close());

const tables = async () =>
  (
    await db.query(
      "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname IN ('orders','order_lines') ORDER BY 1",
    )
  ).map((r) => r.relname as string);

it('a failing pgward migrate as pre-deploy command ends pre_deploy_failed and keeps the previous deploy live', async () => {
  const s = sim.addService({
    preDeployCommand: `'${process.execPath}' '${CLI}' migrate`,
    env: { DATABASE_URL: db.url },
  });
  const p = new RenderProvider({
    apiKey: sim.apiKey,
    apiUrl: sim.url,
    services: [s.id],
    pollMs: 20,
    deployPollMs: 20,
  });
  const previous = await p.liveDeploy();
  assert.ok(previous);

  const failed = await p.wait(await p.trigger({ deployId: 'd1' }), { deployId: 'd1' });
  assert.equal(failed.outcome, 'pre_deploy_failed');
  assert.match(failed.detail, /previous deploy is still live/);
  const dep = sim.deploys(s.id)[0];
  assert.notEqual(dep?.preDeployExitCode, 0);
  assert.match(dep?.preDeployOutput ?? '', /no_such_table/);
  assert.equal(sim.liveDeploy(s.id)?.id, previous, 'the previous deploy is still live');
  assert.deepEqual(await tables(), ['orders'], 'the failed migration left nothing behind');

  writeFile(
    dir,
    'db/migrations/002_broken.sql',
    migration('CREATE TABLE order_lines (id bigint PRIMARY KEY);'),
  );
  const ok = await p.wait(await p.trigger({ deployId: 'd2' }), { deployId: 'd2' });
  assert.equal(ok.outcome, 'live', sim.deploys(s.id)[0]?.preDeployOutput);
  assert.equal(sim.deploys(s.id)[0]?.preDeployExitCode, 0);
  assert.deepEqual(await tables(), ['order_lines', 'orders']);
  assert.equal(sim.deploys(s.id).find((d) => d.id === previous)?.status, 'deactivated');
});
