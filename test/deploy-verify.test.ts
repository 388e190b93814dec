// Verification by error rate: the command provider has no request metrics, so this test drives the
// library with a provider that is the command provider plus the app server's own request counts
// (the in-test stand-in for a platform's HTTP metrics). Real traffic goes to the app while it verifies.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { type DeployEvent, deploy, ExitCode } from '../src/index.js';
import { CommandProvider } from '../src/platform/command.js';
import type { RequestCounts } from '../src/platform/types.js';
import type { AppServer } from './harness/app-server.js';
import { type DeployProject, deployProject } from './harness/deploy.js';
import { migration } from './harness/project.js';
import { webhookReceiver } from './harness/render-deploy.js';

/** The command provider, plus the app's non-health requests counted from the first call on. */
class MeteredProvider extends CommandProvider {
  private base: RequestCounts | undefined;
  constructor(
    p: DeployProject,
    private readonly app: AppServer,
  ) {
    super(
      { deploy: 'sh ./deploy.sh', rollback: 'sh ./rollback.sh' },
      { cwd: p.dir, env: { ...process.env } },
    );
  }
  override async requestCounts(): Promise<RequestCounts> {
    const now = { total: this.app.counts.total - this.app.healthChecks, errors: this.app.counts.errors };
    this.base ??= now;
    return { total: now.total - this.base.total, errors: now.errors - this.base.errors };
  }
}

/** Sends requests to the app until stopped, one after the other. */
function traffic(app: AppServer): () => Promise<void> {
  let stop = false;
  const loop = (async () => {
    while (!stop)
      await fetch(`${app.url}/x`)
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
  })();
  return async () => {
    stop = true;
    await loop;
  };
}

async function run(p: DeployProject, events: DeployEvent[] = []) {
  process.env.DB_URL = p.db.url;
  const stop = traffic(p.app);
  try {
    return await deploy({
      env: 'staging',
      config: join(p.dir, 'pgward.yaml'),
      provider: new MeteredProvider(p, p.app),
      onEvent: (e) => events.push(e),
    });
  } finally {
    await stop();
    delete process.env.DB_URL;
  }
}

// The failing case ends as soon as the ratio is judged (min_requests seen): its window is only a bound.
const FAILING = 'error_threshold: 1\nwindow: 30s\nmin_requests: 20';
const PASSING = 'error_threshold: 1\nwindow: 1s\nmin_requests: 5';

test('invariant: a deploy whose 5xx ratio crosses the threshold is rolled back, recorded and alerted', async () => {
  const hook = await webhookReceiver('/hooks/T000-secret-path');
  const p = await deployProject({
    migrations: {
      'db/migrations/001_users.sql': migration('CREATE TABLE users (id int);', 'DROP TABLE users;'),
    },
    verify: FAILING,
    extra: `serve:\n  webhook_url: ${hook.url}\n`,
  });
  try {
    p.app.errorRate = 0.1;
    const r = await run(p);
    assert.equal(r.exitCode, ExitCode.rolledBack);
    assert.equal(r.deploy.status, 'rolled_back');
    const verify = r.deploy.steps.find((s) => s.name === 'verify')!;
    assert.match(verify.detail, /5xx ratio \d+\.\d\d% \(\d+\/\d+\) over the 1% threshold/);
    assert.deepEqual(p.rolledBack(), [r.deploy.id]);
    assert.equal(hook.posts.length, 1);
    const sent = JSON.stringify(hook.posts[0]);
    assert.match(sent, new RegExp(`deploy ${r.deploy.id} rolled back at verify`));
    assert.ok(!sent.includes('T000-secret-path'));
  } finally {
    await p.close();
    await hook.close();
  }
});

test('deploy: an error rate under the threshold over the whole window passes verification', async () => {
  const p = await deployProject({
    migrations: { 'db/migrations/001_users.sql': migration('CREATE TABLE users (id int);') },
    verify: PASSING,
  });
  try {
    const events: DeployEvent[] = [];
    const r = await run(p, events);
    assert.equal(r.exitCode, 0, JSON.stringify(r.deploy.steps));
    assert.match(
      r.deploy.steps.find((s) => s.name === 'verify')!.detail,
      /health ok 2× in a row; 5xx ratio 0\.00% \(0\/\d+\) within 1%/,
    );
    assert.deepEqual(p.rolledBack(), []);
    assert.deepEqual(
      events.filter((e) => e.type === 'step-end').map((e) => (e.type === 'step-end' ? e.step.name : '')),
      ['preflight', 'backup', 'migrate', 'platform', 'verify'],
    );
  } finally {
    await p.close();
  }
});

test('deploy: metrics that cannot be read mid-verification fail the verification and roll the code back', async () => {
  const p = await deployProject({
    migrations: { 'db/migrations/001_users.sql': migration('CREATE TABLE users (id int);') },
    verify: PASSING,
  });
  try {
    process.env.DB_URL = p.db.url;
    const provider = new MeteredProvider(p, p.app);
    provider.requestCounts = async () => {
      throw new Error('metrics API answered HTTP 503');
    };
    const r = await deploy({ env: 'staging', config: join(p.dir, 'pgward.yaml'), provider });
    assert.equal(r.exitCode, ExitCode.rolledBack);
    assert.match(
      r.deploy.steps.find((s) => s.name === 'verify')!.detail,
      /^verification could not complete: metrics API answered HTTP 503$/,
    );
    assert.deepEqual(p.rolledBack(), [r.deploy.id]);
  } finally {
    delete process.env.DB_URL;
    await p.close();
  }
});
