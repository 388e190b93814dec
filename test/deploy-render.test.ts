// `pgward deploy --env production` end to end with `provider: render`: the built CLI, a real PostgreSQL,
// the Render API simulator (the one documented exception to "no mocks": Render cannot be reached) and an
// app server whose health each test sets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEST_PASSWORD } from './harness/cluster.js';
import { until } from './harness/deploy.js';
import { migration } from './harness/project.js';
import { renderDeployProject, webhookReceiver } from './harness/render-deploy.js';

const USERS = {
  'db/migrations/001_users.sql': migration('CREATE TABLE users (id int PRIMARY KEY);', 'DROP TABLE users;'),
};

type Step = { name: string; status: string; detail: string };
const steps = (d: { steps: Step[] }) => d.steps.map((s) => `${s.name}:${s.status}`);

test('deploy render: a healthy deploy goes live, is verified (health + 5xx under threshold) and recorded', async () => {
  const p = await renderDeployProject({ migrations: USERS });
  try {
    const before = p.sim.liveDeploy(p.service.id)!.id;
    p.sim.setTraffic(p.service.id, () => ({ ok: 200, errors: 1 }));
    const r = await p.run(['deploy', '--env', 'production', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout).deploy;
    assert.deepEqual(steps(d), [
      'preflight:done',
      'backup:done',
      'migrate:done',
      'platform:done',
      'verify:done',
    ]);
    assert.equal(d.status, 'succeeded');
    assert.equal(d.previousDeploy, before);
    assert.deepEqual(p.apiDeploys(), [d.platformDeployId]);
    assert.equal(p.sim.liveDeploy(p.service.id)!.id, d.platformDeployId);
    const verify = d.steps.find((s: Step) => s.name === 'verify');
    assert.match(verify.detail, /health ok 2× in a row; 5xx ratio 0\.50% \(1\/201\) within 1%/);
    assert.deepEqual(p.rollbacks(), []);
  } finally {
    await p.close();
  }
});

test('invariant: a Render deploy whose 5xx ratio crosses the threshold is rolled back to the previous live deploy and recorded', async () => {
  const hook = await webhookReceiver();
  const p = await renderDeployProject({
    migrations: USERS,
    extra: `serve:\n  webhook_url: ${hook.url}\n`,
    verify: 'window: 30s',
  });
  try {
    const before = p.sim.liveDeploy(p.service.id)!;
    // The old deploy serves cleanly; whatever pgward deploys serves 5 % 5xx.
    p.sim.setTraffic(p.service.id, (live) =>
      live?.id === before.id || live?.trigger === 'rollback' ? { ok: 100, errors: 0 } : { ok: 95, errors: 5 },
    );
    const r = await p.run(['deploy', '--env', 'production', '--json']);
    assert.equal(r.code, 12, r.stderr);
    const d = JSON.parse(r.stdout).deploy;
    assert.equal(d.status, 'rolled_back');
    assert.deepEqual(steps(d).slice(3), ['platform:done', 'verify:failed', 'rollback:done']);
    assert.match(d.steps[4].detail, /5xx ratio 5\.00% \(5\/100\) over the 1% threshold/);
    assert.equal(d.previousDeploy, before.id);
    assert.equal(p.rollbacks().length, 1);
    const live = p.sim.liveDeploy(p.service.id)!;
    assert.equal(live.trigger, 'rollback');
    assert.equal(live.commit.id, before.commit.id);
    assert.match(d.steps[5].detail, new RegExp(`code rolled back to ${before.id}`));
    const rows = await p.db.query('SELECT status, exit_code, previous_deploy FROM pgward.deploys');
    assert.deepEqual(rows, [{ status: 'rolled_back', exit_code: 12, previous_deploy: before.id }]);
    assert.equal(hook.posts.length, 1);
    assert.match(hook.posts[0]!.text!, new RegExp(`deploy ${d.id} rolled back at verify: 5xx ratio`));
  } finally {
    await p.close();
    await hook.close();
  }
});

test('invariant: a failing migration never reaches the Render deploy', async () => {
  const p = await renderDeployProject({
    migrations: {
      ...USERS,
      'db/migrations/002_bad.sql': migration('ALTER TABLE nope ADD COLUMN x int;', 'SELECT 1;'),
    },
  });
  try {
    const r = await p.run(['deploy', '--env', 'production', '--json']);
    assert.equal(r.code, 11, r.stderr);
    const d = JSON.parse(r.stdout).deploy;
    assert.equal(d.status, 'failed');
    assert.deepEqual(steps(d).slice(2), ['migrate:failed']);
    assert.deepEqual(p.apiDeploys(), []);
    assert.equal(p.sim.requests.filter((x) => x.method === 'POST' && x.path.includes('/deploys')).length, 0);
    assert.deepEqual(p.rollbacks(), []);
  } finally {
    await p.close();
  }
});

for (const fault of ['pre_deploy_failed', 'build_failed', 'update_failed'] as const) {
  test(`deploy render: ${fault} is recorded failed (exit 11), nothing rolled back, the old deploy still live`, async () => {
    const p = await renderDeployProject({ migrations: USERS });
    try {
      const before = p.sim.liveDeploy(p.service.id)!.id;
      p.sim.faults.failNextDeploy(p.service.id, fault);
      const r = await p.run(['deploy', '--env', 'production', '--json']);
      assert.equal(r.code, 11, r.stderr);
      const d = JSON.parse(r.stdout).deploy;
      assert.equal(d.status, 'failed');
      assert.deepEqual(steps(d).slice(3), ['platform:failed']);
      assert.match(d.steps[3].detail, new RegExp(`^${fault}: .*the previous version is still live`));
      assert.deepEqual(p.rollbacks(), []);
      assert.equal(p.sim.liveDeploy(p.service.id)!.id, before);
      const human = await p.run(['deploy', 'status', '--env', 'production']);
      assert.match(human.stdout, /still live/);
    } finally {
      await p.close();
    }
  });
}

async function journal(p: { db: { query: (s: string) => Promise<Record<string, unknown>[]> } }) {
  return (await p.db
    .query('SELECT id, status, platform_deploy_id, commit, steps FROM pgward.deploys ORDER BY started_at')
    .catch(() => [])) as {
    id: string;
    status: string;
    platform_deploy_id: string | null;
    commit: string | null;
    steps: Step[];
  }[];
}

test('invariant: kill -9 during the Render deploy resumes by waiting on the recorded deploy id, never creating a second deploy', async () => {
  const p = await renderDeployProject({ migrations: USERS, sim: { stepMs: 300 } });
  try {
    let child: import('node:child_process').ChildProcess | undefined;
    const first = p.run(['deploy', '--env', 'production'], { onSpawn: (c) => (child = c) });
    const dep = await until(async () => (await journal(p))[0]?.platform_deploy_id ?? undefined, 'a dep- id');
    assert.notEqual(p.sim.deploys(p.service.id)[0]!.status, 'live');
    child!.kill('SIGKILL');
    const killed = await first;
    assert.equal(killed.signal, 'SIGKILL');
    const row = (await journal(p))[0]!;
    assert.equal(row.status, 'running');
    assert.equal(row.steps.at(-1)!.name, 'platform');
    assert.equal(row.steps.at(-1)!.status, 'running');

    const r = await p.run(['deploy', '--env', 'production', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.resumed, true);
    assert.equal(doc.deploy.id, row.id);
    assert.equal(doc.deploy.status, 'succeeded');
    assert.equal(doc.deploy.platformDeployId, dep);
    assert.match(r.stderr, new RegExp(`waiting for ${dep}, started before the restart`));
    assert.deepEqual(p.apiDeploys(), [dep]);
    assert.equal(p.sim.liveDeploy(p.service.id)!.id, dep);
  } finally {
    await p.close();
  }
});

test('deploy render: a 202 (queued, no body) create is found in the deploy list, waited on and verified', async () => {
  const p = await renderDeployProject({
    migrations: USERS,
    sim: { createDeployStatus: 202, acceptedDeployDelayMs: 100 },
  });
  try {
    const r = await p.run(['deploy', '--env', 'production', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout).deploy;
    assert.equal(d.status, 'succeeded');
    assert.match(d.platformDeployId, /^dep-/);
    assert.deepEqual(p.apiDeploys(), [d.platformDeployId]);
    assert.equal(p.sim.liveDeploy(p.service.id)!.id, d.platformDeployId);
    const post = p.sim.requests.find((x) => x.method === 'POST' && x.path.endsWith('/deploys'));
    assert.equal(post?.status, 202);
  } finally {
    await p.close();
  }
});

test('deploy render: an API outage mid-poll that outlasts the retries leaves the platform step interrupted; the next run resumes it', async () => {
  const p = await renderDeployProject({ migrations: USERS, sim: { stepMs: 300 } });
  try {
    const first = p.run(['deploy', '--env', 'production']);
    const dep = await until(async () => (await journal(p))[0]?.platform_deploy_id ?? undefined, 'a dep- id');
    // 1 try + 5 retries of one GET: the client gives up on this poll.
    p.sim.faults.outage(6, '503', 'GET');
    const r = await first;
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`Render API unreachable while waiting for ${dep}; run pgward deploy again to resume`),
    );
    const row = (await journal(p))[0]!;
    assert.equal(row.status, 'running');
    assert.deepEqual(
      row.steps.map((s) => `${s.name}:${s.status}`),
      ['preflight:done', 'backup:done', 'migrate:done', 'platform:interrupted'],
    );
    assert.deepEqual(p.rollbacks(), []);

    const again = await p.run(['deploy', '--env', 'production', '--json']);
    assert.equal(again.code, 0, again.stderr);
    const d = JSON.parse(again.stdout);
    assert.equal(d.resumed, true);
    assert.equal(d.deploy.status, 'succeeded');
    assert.equal(d.deploy.platformDeployId, dep);
    assert.deepEqual(p.apiDeploys(), [dep]);
  } finally {
    await p.close();
  }
});

test("deploy render: --commit is journaled at the start; a resumed platform step deploys it, not the resuming run's", async () => {
  const p = await renderDeployProject({ migrations: USERS });
  try {
    // The trigger gets a 429 with a long Retry-After: pgward is killed while it waits to trigger.
    p.sim.faults.rateLimitNext(p.service.id, 1, 60);
    let child: import('node:child_process').ChildProcess | undefined;
    const first = p.run(['deploy', '--env', 'production', '--commit', 'c0ffee1'], {
      onSpawn: (c) => (child = c),
    });
    await until(() => (p.sim.requests.some((x) => x.status === 429) ? true : undefined), 'a 429');
    child!.kill('SIGKILL');
    await first;
    const row = (await journal(p))[0]!;
    assert.equal(row.commit, 'c0ffee1');
    assert.equal(row.platform_deploy_id, null);
    assert.deepEqual(p.apiDeploys(), []);

    const r = await p.run(['deploy', '--env', 'production', '--commit', 'bad0000', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /--commit bad0000 ignored: the resumed deploy keeps --commit c0ffee1/);
    const d = JSON.parse(r.stdout).deploy;
    assert.equal(d.commit, 'c0ffee1');
    const deployed = p.sim.deploys(p.service.id).filter((x) => x.trigger === 'api');
    assert.deepEqual(
      deployed.map((x) => x.commit.id),
      ['c0ffee1'],
    );
  } finally {
    await p.close();
  }
});

test('invariant: the Render API key never appears in the deploy journal, output or JSON', async () => {
  const hook = await webhookReceiver();
  const p = await renderDeployProject({
    migrations: USERS,
    sim: { stepMs: 300 },
    extra: `serve:\n  webhook_url: ${hook.url}\n`,
    verify: 'window: 30s',
  });
  try {
    const before = p.sim.liveDeploy(p.service.id)!.id;
    p.sim.setTraffic(p.service.id, (live) =>
      live?.id === before || live?.trigger === 'rollback' ? { ok: 100, errors: 0 } : { ok: 90, errors: 10 },
    );
    const outputs: string[] = [];
    for (const args of [
      ['deploy', '--env', 'production', '--json'],
      ['deploy', '--env', 'production'],
      ['deploy', 'status', '--env', 'production', '--json'],
      ['deploy', 'status', '--env', 'production'],
      ['deploy', 'list', '--env', 'production', '--json'],
    ]) {
      const r = await p.run(args);
      outputs.push(r.stdout, r.stderr);
    }
    // An outage mid-poll puts the API's own error lines in the journal and the output too.
    const outage = p.run(['deploy', '--env', 'production', '--json']);
    await until(
      async () =>
        (await journal(p)).find((x) => x.status === 'running')?.platform_deploy_id ? true : undefined,
      'a third deploy waiting',
    );
    p.sim.faults.outage(6, 'reset', 'GET');
    const o = await outage;
    outputs.push(o.stdout, o.stderr);
    const rows = await p.db.query('SELECT row_to_json(d)::text AS j FROM pgward.deploys d');
    const all = [
      ...outputs,
      ...rows.map((x) => x.j as string),
      ...hook.posts.map((x) => JSON.stringify(x)),
    ].join('\n');
    assert.match(all, /rolled_back/);
    assert.match(all, /unreachable while waiting/);
    assert.ok(!all.includes(p.sim.apiKey), 'the Render API key leaked');
    assert.ok(!all.includes(TEST_PASSWORD), 'the database password leaked');
  } finally {
    await p.close();
    await hook.close();
  }
});

test('deploy render: the API unreachable during the rollback leaves the rollback step interrupted; the next run rolls back and records it', async () => {
  const p = await renderDeployProject({ migrations: USERS, sim: { stepMs: 300 }, verify: 'window: 30s' });
  try {
    const before = p.sim.liveDeploy(p.service.id)!;
    p.sim.setTraffic(p.service.id, (live) =>
      live?.id === before.id || live?.trigger === 'rollback'
        ? { ok: 100, errors: 0 }
        : { ok: 90, errors: 10 },
    );
    const first = p.run(['deploy', '--env', 'production']);
    await until(() => (p.rollbacks().length ? true : undefined), 'the rollback request');
    p.sim.faults.outage(6, '503', 'GET');
    const r = await first;
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `Render API unreachable while rolling back to ${before.id}; run pgward deploy again to resume`,
      ),
    );
    const row = (await journal(p))[0]!;
    assert.equal(row.status, 'running');
    assert.deepEqual(row.steps.map((s) => `${s.name}:${s.status}`).slice(3), [
      'platform:done',
      'verify:failed',
      'rollback:interrupted',
    ]);
    const again = await p.run(['deploy', '--env', 'production', '--json']);
    assert.equal(again.code, 12, again.stderr);
    const d = JSON.parse(again.stdout);
    assert.equal(d.resumed, true);
    assert.equal(d.deploy.status, 'rolled_back');
    assert.equal(p.apiDeploys().length, 1, 'never a second deploy');
    const live = p.sim.liveDeploy(p.service.id)!;
    assert.equal(live.trigger, 'rollback');
    assert.equal(live.commit.id, before.commit.id);
  } finally {
    await p.close();
  }
});

test('deploy render: a journal written by an older pgward (no commit/image columns) gains them and keeps its rows', async () => {
  const p = await renderDeployProject({ migrations: USERS });
  try {
    await p.db.query(`CREATE SCHEMA pgward;
      CREATE TABLE pgward.deploys (id text PRIMARY KEY, env text NOT NULL, status text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, pid integer NOT NULL,
        host text NOT NULL, actor text NOT NULL, provider text NOT NULL, steps jsonb NOT NULL DEFAULT '[]',
        migrations jsonb NOT NULL DEFAULT '[]', previous_deploy text, platform_deploy_id text, backup_id text,
        write_baseline jsonb, exit_code integer, database_rollback jsonb);
      INSERT INTO pgward.deploys (id, env, status, started_at, pid, host, actor, provider)
        VALUES ('dpl_20200101000000_abcdef', 'production', 'succeeded', '2020-01-01', 1, 'h', 'a', 'p')`);
    const old = await p.run([
      'deploy',
      'status',
      'dpl_20200101000000_abcdef',
      '--env',
      'production',
      '--json',
    ]);
    assert.equal(old.code, 0, old.stderr);
    assert.equal(JSON.parse(old.stdout).deploy.commit, null);
    const r = await p.run(['deploy', '--env', 'production', '--commit', 'abc1234', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = await p.db.query('SELECT id, commit FROM pgward.deploys ORDER BY started_at');
    assert.deepEqual(rows, [
      { id: 'dpl_20200101000000_abcdef', commit: null },
      { id: JSON.parse(r.stdout).deploy.id, commit: 'abc1234' },
    ]);
    assert.equal(p.sim.deploys(p.service.id)[0]!.commit.id, 'abc1234');
  } finally {
    await p.close();
  }
});

test('invariant: kill -9 between Render accepting the deploy and the journal recording it never creates a second deploy', async () => {
  // A 202 whose deploy shows up in the list late: pgward is killed while it searches for it, so the
  // journal has the platform step running with no dep- id while Render has the deploy.
  const p = await renderDeployProject({
    migrations: USERS,
    sim: { createDeployStatus: 202, acceptedDeployDelayMs: 1500 },
  });
  try {
    let child: import('node:child_process').ChildProcess | undefined;
    const first = p.run(['deploy', '--env', 'production'], { onSpawn: (c) => (child = c) });
    await until(
      async () =>
        p.sim.requests.some((x) => x.method === 'POST' && x.path.endsWith('/deploys')) ? true : undefined,
      'the deploy POST',
    );
    child!.kill('SIGKILL');
    await first;
    const row = (await journal(p))[0]!;
    assert.equal(row.status, 'running');
    assert.equal(row.platform_deploy_id, null, 'killed before the id was journaled');
    await until(async () => (p.apiDeploys().length === 1 ? true : undefined), 'the queued deploy created');

    const r = await p.run(['deploy', '--env', 'production', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.deploy.id, row.id);
    assert.equal(doc.deploy.status, 'succeeded');
    assert.match(r.stderr, /adopted dep-\S+ .*the stopped run started it before recording it/);
    assert.equal(p.apiDeploys().length, 1, 'exactly one deploy triggered through the API');
    assert.equal(doc.deploy.platformDeployId, p.apiDeploys()[0]);
  } finally {
    await p.close();
  }
});
