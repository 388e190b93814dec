// The Render client and provider against the local Render API simulator (test/harness/render-sim.ts):
// pagination, 201 and 202 deploy creation, 429 Retry-After, outages mid-poll, one-line errors with the
// code, the deploy outcomes of the provider, per-key DATABASE_URL writes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PgwardError } from '../src/errors.js';
import { providerFor, renderApiKey } from '../src/platform/index.js';
import { RenderClient } from '../src/platform/render/client.js';
import { RenderProvider } from '../src/platform/render/provider.js';
import { redact } from '../src/redact.js';
import { freePort } from './harness/cluster.js';
import { type RenderSim, startRenderSim } from './harness/render-sim.js';

let sim: RenderSim;
const fast = { pollMs: 20, retryBaseMs: 10 };
const client = (extra: Partial<ConstructorParameters<typeof RenderClient>[0]> = {}) =>
  new RenderClient({ apiKey: sim.apiKey, apiUrl: sim.url, ...fast, ...extra });
const provider = (services: string[]) =>
  new RenderProvider({
    apiKey: sim.apiKey,
    apiUrl: sim.url,
    services,
    ...fast,
    deployPollMs: 20,
    deployPollMaxMs: 40,
  });
const opts = { deployId: 'pgw-test' };

async function failure(p: Promise<unknown>): Promise<PgwardError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PgwardError, String(err));
    return err;
  }
  assert.fail('expected a PgwardError');
}

before(async () => {
  sim = await startRenderSim({ stepMs: 15 });
});
after(() => sim.close());

describe('render client', () => {
  it('follows cursor pagination over several pages (env vars, deploys)', async () => {
    const env: Record<string, string> = {};
    for (let i = 0; i < 230; i++) env[`K${String(i).padStart(3, '0')}`] = `v${i}`;
    const s = sim.addService({ env });
    const vars = await client().listEnvVars(s.id);
    assert.equal(vars.length, 230);
    assert.deepEqual(
      vars.map((v) => v.key),
      Object.keys(env),
    );
    const pages = sim.requests.filter((r) => r.path.startsWith(`/v1/services/${s.id}/env-vars`));
    assert.equal(pages.length, 4, pages.map((p) => p.path).join('\n')); // 100 + 100 + 30 + the empty end
    assert.ok(pages[1]?.path.includes('cursor='));
    const deploys = await client().listAll(`/services/${s.id}/deploys`, 'deploy', undefined, 1);
    assert.equal(deploys.length, 1);
  });

  it('creates a deploy on 201 (id from the body) and on 202 (found in the newest deploys)', async () => {
    const s = sim.addService();
    const id201 = await client().createDeploy(s.id);
    assert.equal(id201, sim.deploys(s.id)[0]?.id);
    assert.equal(sim.requests.at(-1)?.status, 201);
    const live = await client().waitForDeploy(s.id, id201, { intervalMs: 10 });
    assert.equal(live.status, 'live');

    const sim202 = await startRenderSim({ stepMs: 15, createDeployStatus: 202 });
    try {
      const s2 = sim202.addService();
      const c = new RenderClient({ apiKey: sim202.apiKey, apiUrl: sim202.url, ...fast });
      const id = await c.createDeploy(s2.id);
      assert.equal(sim202.requests.find((r) => r.method === 'POST')?.status, 202);
      assert.equal(id, sim202.deploys(s2.id)[0]?.id);
      // a second trigger while one is in progress is queued (202) and still found
      const queued = await c.createDeploy(s2.id);
      assert.notEqual(queued, id);
      assert.equal((await c.waitForDeploy(s2.id, queued, { intervalMs: 10 })).status, 'live');
      assert.equal(sim202.deploys(s2.id).find((d) => d.id === id)?.status, 'deactivated');
    } finally {
      await sim202.close();
    }
  });

  it('on a 202, waits for the accepted deploy to appear in the list (not the older one)', async () => {
    const late = await startRenderSim({ createDeployStatus: 202, acceptedDeployDelayMs: 150 });
    try {
      const s = late.addService();
      const old = late.liveDeploy(s.id)?.id;
      const c = new RenderClient({ apiKey: late.apiKey, apiUrl: late.url, ...fast });
      const id = await c.createDeploy(s.id, { commitId: 'c0ffee' });
      assert.notEqual(id, old);
      assert.equal(late.deploys(s.id).find((d) => d.id === id)?.commit.id, 'c0ffee');
      const polls = late.requests.filter((r) => r.path === `/v1/services/${s.id}/deploys?limit=1`);
      assert.ok(polls.length >= 2, `polled until it appeared (${polls.length})`);
    } finally {
      await late.close();
    }
  });

  it('honours 429 Retry-After on a deploy trigger, and reports it in one line when retries run out', async () => {
    const s = sim.addService();
    sim.faults.rateLimitNext(s.id, 1, 1);
    const id = await client().createDeploy(s.id);
    const posts = sim.requests.filter((r) => r.method === 'POST' && r.path.includes(s.id));
    assert.deepEqual(
      posts.map((p) => p.status),
      [429, 201],
    );
    assert.ok((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0) >= 1000, 'waited Retry-After (1 s) before retrying');
    assert.ok(id.startsWith('dep-'));

    sim.faults.rateLimitNext(s.id, 1, 1);
    const err = await failure(client({ maxRateLimitRetries: 0 }).createDeploy(s.id));
    assert.equal(
      err.message,
      `Render API POST /services/${s.id}/deploys: 429 rate_limited rate limit exceeded`,
    );
    assert.match(err.hint ?? '', /10 per minute/);
  });

  it('rides out an API outage mid-poll (connection resets and 503s)', async () => {
    const sim2 = await startRenderSim({ advance: 'poll' });
    try {
      const s = sim2.addService();
      const c = new RenderClient({ apiKey: sim2.apiKey, apiUrl: sim2.url, ...fast });
      const id = await c.createDeploy(s.id);
      await c.getDeploy(s.id, id);
      sim2.faults.outage(3, 'reset');
      await c.getDeploy(s.id, id);
      sim2.faults.outage(3, '503');
      const d = await c.waitForDeploy(s.id, id, { intervalMs: 5 });
      assert.equal(d.status, 'live');
      assert.ok(sim2.requests.filter((r) => r.status === 503).length === 3);
      assert.ok(sim2.requests.filter((r) => r.status === -1).length === 3);
      // a POST is never retried after a 5xx: it may have been applied
      sim2.faults.outage(1, '503', 'POST');
      const err = await failure(c.createDeploy(s.id));
      assert.equal(
        err.message,
        `Render API POST /services/${s.id}/deploys: 503 unavailable service unavailable`,
      );
    } finally {
      await sim2.close();
    }
  });

  it('turns API errors into one line with the status, code, message and a hint', async () => {
    const notFound = await failure(client().getService('srv-doesnotexist0000'));
    assert.equal(
      notFound.message,
      'Render API GET /services/srv-doesnotexist0000: 404 not_found service not found',
    );
    assert.equal(notFound.hint, 'check deploy.render.services in pgward.yaml');
    const wrongKey = await failure(
      new RenderClient({ apiKey: 'rnd_wrongwrongwrong', apiUrl: sim.url }).getService('srv-x'),
    );
    assert.equal(wrongKey.message, 'Render API GET /services/srv-x: 401 unauthorized unauthorized');
    assert.match(wrongKey.hint ?? '', /check RENDER_API_KEY/);
    const unreachable = await failure(
      new RenderClient({
        apiKey: 'rnd_k',
        apiUrl: `http://127.0.0.1:${await freePort()}/v1`,
        maxGetRetries: 0,
      }).getService('srv-x'),
    );
    assert.match(unreachable.message, /^Render API GET \/services\/srv-x: network error ECONNREFUSED$/);
    assert.equal(redact(`key ${sim.apiKey}`), 'key *****');
  });

  it('cancels a deploy in progress; an env var write alone never deploys', async () => {
    const sim2 = await startRenderSim({ advance: 'poll' });
    try {
      const s = sim2.addService({ env: { A: '1' } });
      const c = new RenderClient({ apiKey: sim2.apiKey, apiUrl: sim2.url, ...fast });
      const deploysBefore = sim2.deploys(s.id).length;
      await c.putEnvVar(s.id, 'DATABASE_URL', 'postgresql://u:pw@h/db');
      assert.equal((await c.getEnvVar(s.id, 'DATABASE_URL')).value, 'postgresql://u:pw@h/db');
      assert.equal(sim2.deploys(s.id).length, deploysBefore, 'no deploy from an env var write');
      const live = sim2.liveDeploy(s.id)?.id;
      const id = await c.createDeploy(s.id);
      await c.getDeploy(s.id, id); // one step: build_in_progress
      assert.equal((await c.cancelDeploy(s.id, id)).status, 'canceled');
      assert.equal(sim2.liveDeploy(s.id)?.id, live);
      const again = await failure(c.cancelDeploy(s.id, id));
      assert.match(again.message, /: 409 conflict deploy is canceled and cannot be canceled$/);
    } finally {
      await sim2.close();
    }
  });

  it('finds the live deploy even when the status filter is not applied and newer deploys failed', async () => {
    const sim2 = await startRenderSim({
      advance: 'poll',
      ignoreStatusFilter: true,
      deployRateLimit: { limit: 100, windowMs: 60_000, retryAfterSeconds: 1 },
    });
    try {
      const s = sim2.addService();
      const c = new RenderClient({ apiKey: sim2.apiKey, apiUrl: sim2.url, ...fast });
      const live = sim2.liveDeploy(s.id)?.id;
      for (let i = 0; i < 25; i++) {
        sim2.faults.failNextDeploy(s.id, 'build_failed');
        const id = await c.createDeploy(s.id);
        await c.waitForDeploy(s.id, id, { intervalMs: 1 });
      }
      assert.equal((await c.liveDeploy(s.id))?.id, live);
    } finally {
      await sim2.close();
    }
  });

  it('registers env var values and connection strings read from Render as secrets', async () => {
    const s = sim.addService({
      env: { STRIPE_KEY: 'sk_live_plainValue9876', DATABASE_URL: 'postgresql://app:pw-Render-42@h/app' },
    });
    await client().listEnvVars(s.id);
    assert.equal(redact('key sk_live_plainValue9876 set'), 'key ***** set');
    assert.ok(!redact('postgresql://app:pw-Render-42@h/app').includes('pw-Render-42'));
  });

  it('reads a missing API key as one line naming the variable', () => {
    const err = (() => {
      try {
        renderApiKey({ services: ['srv-a'], api_key_env: 'MY_RENDER_KEY' }, {});
      } catch (e) {
        return e as PgwardError;
      }
    })();
    assert.equal(
      err?.message,
      'the Render API key is missing: environment variable MY_RENDER_KEY is not set',
    );
  });
});

describe('render provider', () => {
  it('maps Render outcomes: live, build_failed, pre_deploy_failed (old deploy still live), update_failed; rolls back', async () => {
    const s = sim.addService({ preDeployCommand: 'npx pgward migrate' });
    const p = provider([s.id]);
    const first = await p.liveDeploy();
    assert.equal(first, sim.liveDeploy(s.id)?.id);
    const seen: string[] = [];
    const ok = await p.wait(await p.trigger({ ...opts, commit: 'abc123' }), {
      ...opts,
      onProgress: (e) => seen.push(e.status),
    });
    assert.equal(ok.outcome, 'live');
    assert.equal(seen.at(-1), 'live');
    assert.equal(sim.deploys(s.id)[0]?.commit.id, 'abc123');
    for (const fault of ['build_failed', 'pre_deploy_failed', 'update_failed'] as const) {
      const liveBefore = sim.liveDeploy(s.id)?.id;
      sim.faults.failNextDeploy(s.id, fault);
      const r = await p.wait(await p.trigger(opts), opts);
      assert.equal(r.outcome, fault);
      assert.equal(sim.liveDeploy(s.id)?.id, liveBefore, `${fault}: the previous deploy stays live`);
      if (fault === 'pre_deploy_failed') assert.match(r.detail, /previous deploy is still live/);
    }
    const back = await p.rollback(first, opts);
    assert.equal(back.outcome, 'live');
    const rb = sim.deploys(s.id)[0];
    assert.equal(rb?.trigger, 'rollback');
    assert.equal(rb?.commit.id, sim.deploys(s.id).find((d) => d.id === first)?.commit.id);
  });

  it('counts 5xx responses from the metrics over a window', async () => {
    const s = sim.addService();
    const since = new Date(Date.now() - 60_000);
    sim.recordRequests(s.id, 200, 970);
    sim.recordRequests(s.id, 404, 10);
    sim.faults.spike5xx(s.id, 15);
    sim.faults.spike5xx(s.id, 5, 503);
    sim.recordRequests(s.id, 500, 1000, new Date(Date.now() - 3600_000)); // outside the window
    const counts = await provider([s.id]).requestCounts(since, new Date(Date.now() + 1000));
    assert.deepEqual(counts, { total: 1000, errors: 20 });
  });

  it('reports traffic per live deploy (setTraffic) and enforces the per-service deploy rate limit', async () => {
    const limited = await startRenderSim({
      deployRateLimit: { limit: 2, windowMs: 60_000, retryAfterSeconds: 30 },
    });
    try {
      const s = limited.addService();
      limited.setTraffic(s.id, (live) =>
        live?.commit.id === 'bad' ? { ok: 90, errors: 10 } : { ok: 100, errors: 0 },
      );
      const p = new RenderProvider({
        apiKey: limited.apiKey,
        apiUrl: limited.url,
        services: [s.id],
        ...fast,
        deployPollMs: 20,
      });
      const window = () => p.requestCounts(new Date(Date.now() - 60_000), new Date());
      assert.deepEqual(await window(), { total: 100, errors: 0 });
      assert.equal((await p.wait(await p.trigger({ ...opts, commit: 'bad' }), opts)).outcome, 'live');
      assert.deepEqual(await window(), { total: 100, errors: 10 });
      await p.trigger({ ...opts, commit: 'fix' });
      const c = new RenderClient({ apiKey: limited.apiKey, apiUrl: limited.url, maxRateLimitRetries: 0 });
      const err = await failure(c.createDeploy(s.id));
      assert.match(err.message, /: 429 rate_limited rate limit exceeded$/);
      assert.equal(limited.requests.at(-1)?.status, 429);
    } finally {
      await limited.close();
    }
  });

  it('sets DATABASE_URL per key on every service (other vars kept), then deploys each', async () => {
    const a = sim.addService({ env: { DATABASE_URL: 'postgresql://old', OTHER: 'kept' } });
    const b = sim.addService({ env: { SECRET: 'x' } });
    const before = [sim.deploys(a.id).length, sim.deploys(b.id).length];
    const r = await provider([a.id, b.id]).setDatabaseUrl('postgresql://u:pw@new/db', opts);
    assert.equal(r.outcome, 'live');
    assert.equal(a.env.get('DATABASE_URL'), 'postgresql://u:pw@new/db');
    assert.equal(a.env.get('OTHER'), 'kept');
    assert.equal(b.env.get('SECRET'), 'x');
    assert.equal(b.env.get('DATABASE_URL'), 'postgresql://u:pw@new/db');
    assert.deepEqual(
      [sim.deploys(a.id).length, sim.deploys(b.id).length],
      before.map((n) => n + 1),
    );
    assert.ok(
      !sim.requests.some((x) => x.method === 'PUT' && /env-vars$/.test(x.path)),
      'never the bulk PUT',
    );
  });

  it('providerFor builds the Render provider from a deploy: block, with the key from its variable', () => {
    const p = providerFor(
      { provider: 'render', render: { services: ['srv-abc'], api_url: sim.url, api_key_env: 'K' } },
      { env: { K: sim.apiKey } },
    );
    assert.equal(p.kind, 'render');
    assert.equal(p.describe(), 'Render service srv-abc');
  });
});
