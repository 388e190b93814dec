// `pgward promote --from staging --to production` where both environments are Render services: without
// --commit, production is deployed with the commit staging's live deploy runs (read from Render), through
// the deploy pipeline. Real databases, a real rehearsal on its own cluster, the Render API simulator.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, promotedVersion } from '../src/index.js';
import { type AppServer, startAppServer } from './harness/app-server.js';
import { type Cluster, startCluster } from './harness/cluster.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli, writeFile } from './harness/project.js';
import { type RenderSim, type SimService, startRenderSim } from './harness/render-sim.js';

let rehearsalCluster: Cluster;
let staging: TestDatabase;
let prod: TestDatabase;
let app: AppServer;
let sim: RenderSim;
let stagingSvc: SimService;
let prodSvc: SimService;
let dir: string;

const STAGING_COMMIT = 'feedbee1c0ffee2d00d3';
const cli = (args: string[]) =>
  runCli(args, { cwd: dir, env: { RENDER_API_KEY: sim.apiKey, PGWARD_RENDER_POLL_MS: '20' } });

const render = (svc: SimService) => `      provider: render
      render:
        services: [${svc.id}]
        api_url: ${sim.url}
      verify:
        health_url: ${app.healthUrl}
        checks: 2
        interval: 50ms
        timeout: 1s
        window: 200ms`;

before(async () => {
  [rehearsalCluster, staging, prod] = await Promise.all([
    startCluster(),
    createTestDatabase(),
    createTestDatabase(),
  ]);
  app = await startAppServer();
  sim = await startRenderSim({ stepMs: 20 });
  stagingSvc = sim.addService({ name: 'api-staging', liveCommit: STAGING_COMMIT });
  prodSvc = sim.addService({ name: 'api' });
  dir = makeProject({
    'pgward.yaml': `environments:
  staging:
    url: ${staging.url}
    deploy:
${render(stagingSvc)}
  production:
    url: ${prod.url}
    policy:
      backup_before_migrate: false
      pause_seconds: 0
    deploy:
${render(prodSvc)}
rehearsal:
  server: ${rehearsalCluster.url('postgres')}
`,
    'db/migrations/001_accounts.sql': migration('CREATE TABLE accounts (id bigint PRIMARY KEY);'),
  });
  for (const env of ['staging', 'production']) {
    const r = await cli(['migrate', '--env', env]);
    assert.equal(r.code, 0, r.stderr);
  }
  writeFile(dir, 'db/migrations/002_email.sql', migration('ALTER TABLE accounts ADD COLUMN email text;'));
  for (const args of [
    ['migrate', '--env', 'staging'],
    ['rehearse', '--env', 'staging', '--record'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => {
  await app?.close();
  await sim?.close();
  rehearsalCluster?.stop();
});

describe('promote with provider render', () => {
  it("without --commit, deploys production with the commit staging's live Render deploy runs", async () => {
    const r = await cli(['promote', '--from', 'staging', '--to', 'production']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `deploying commit ${STAGING_COMMIT}, the live version of staging \\(Render service ${stagingSvc.id}\\)`,
      ),
    );
    const deployed = sim.deploys(prodSvc.id).filter((d) => d.trigger === 'api');
    assert.deepEqual(
      deployed.map((d) => d.commit.id),
      [STAGING_COMMIT],
    );
    assert.equal(sim.liveDeploy(prodSvc.id)!.id, deployed[0]!.id);
    assert.equal(sim.deploys(stagingSvc.id).length, 1, 'staging is only read');
    const [row] = await prod.query<{ status: string; commit: string }>(
      'SELECT status, commit FROM pgward.deploys ORDER BY started_at DESC LIMIT 1',
    );
    assert.deepEqual(row, { status: 'succeeded', commit: STAGING_COMMIT });
    const applied = await prod.query("SELECT 1 FROM pgward.migrations WHERE version = '002'");
    assert.equal(applied.length, 1);
  });

  it('an explicit --commit wins over the live version of staging', async () => {
    const r = await cli(['promote', '--from', 'staging', '--to', 'production', '--commit', 'abc1234']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /the live version of staging/);
    assert.equal(sim.deploys(prodSvc.id)[0]!.commit.id, 'abc1234');
  });

  it('promotedVersion: Render reads the live commit; the command provider cannot tell and says so', async () => {
    const prev = process.env.RENDER_API_KEY;
    process.env.RENDER_API_KEY = sim.apiKey;
    try {
      const v = await promotedVersion(loadConfig(join(dir, 'pgward.yaml')), 'staging');
      assert.equal(v.commit, STAGING_COMMIT);
    } finally {
      if (prev === undefined) delete process.env.RENDER_API_KEY;
      else process.env.RENDER_API_KEY = prev;
    }
    const other = makeProject({
      'pgward.yaml': `environments:\n  staging:\n    url: ${staging.url}\n    deploy:\n      provider: command\n      command:\n        deploy: "true"\n  bare:\n    url: ${staging.url}\n`,
    });
    const cmd = await promotedVersion(loadConfig(join(other, 'pgward.yaml')), 'staging');
    assert.deepEqual(Object.keys(cmd), ['note']);
    assert.match(
      cmd.note,
      /staging's live version is unknown \(a deploy command does not report it\); the platform deploys its default/,
    );
    const bare = await promotedVersion(loadConfig(join(other, 'pgward.yaml')), 'bare');
    assert.match(bare.note, /bare has no deploy: block/);
  });
});
