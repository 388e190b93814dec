// `pgward render setup` against the Render API simulator: sets the pre-deploy command and health path
// (PATCH shape of research §2), prints the render.yaml fragment; refuses a free plan, an unknown service,
// a missing or wrong API key, each in one line; never prints the key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeProject, runCli } from './harness/project.js';
import { type RenderSim, startRenderSim } from './harness/render-sim.js';

let sim: RenderSim;
const outputs: string[] = [];

before(async () => {
  sim = await startRenderSim();
});
after(() => sim.close());

function project(services: string[], extra = ''): string {
  return makeProject({
    'pgward.yaml': `environments:
  production:
    url: postgresql://app@127.0.0.1:1/app
    deploy:
      provider: render
      render:
        services: [${services.join(', ')}]
        api_url: ${sim.url}
${extra}`,
  });
}

async function pgward(dir: string, args: string[], env: Record<string, string | undefined> = {}) {
  const r = await runCli(args, { cwd: dir, env: { RENDER_API_KEY: sim.apiKey, ...env } });
  outputs.push(r.stdout, r.stderr);
  return r;
}

/** The error part of stderr: its lines other than the hint. */
const errorLines = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => !/^\s+hint:/.test(l));

describe('pgward render setup', () => {
  it('sets the pre-deploy command and health path, prints the render.yaml fragment; --dry-run and a rerun change nothing', async () => {
    const s = sim.addService({ name: 'api', plan: 'starter' });
    const dir = project([s.id]);
    const dry = await pgward(dir, ['render', 'setup', '--env', 'production', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would set preDeployCommand: \(none\) → npx pgward migrate --env production/);
    assert.equal(s.patches.length, 0);
    assert.equal(s.preDeployCommand, undefined);

    const r = await pgward(dir, ['render', 'setup', '--env', 'production']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(s.patches, [
      {
        serviceDetails: {
          preDeployCommand: 'npx pgward migrate --env production',
          healthCheckPath: '/healthz',
        },
      },
    ]);
    assert.match(r.stdout, /preDeployCommand: "npx pgward migrate --env production"/);
    assert.match(r.stdout, /healthCheckPath: \/healthz/);
    assert.match(r.stdout, /type: web\n/);
    // what GET shows now: the pre-deploy command in envSpecificDetails
    const get = await fetch(`${sim.url}/services/${s.id}`, {
      headers: { Authorization: `Bearer ${sim.apiKey}` },
    });
    const body = (await get.json()) as {
      serviceDetails: { envSpecificDetails: { preDeployCommand: string } };
    };
    assert.equal(
      body.serviceDetails.envSpecificDetails.preDeployCommand,
      'npx pgward migrate --env production',
    );

    const again = await pgward(dir, [
      'render',
      'setup',
      '--env',
      'production',
      '--json',
      '--health-path',
      '/up',
    ]);
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout);
    assert.deepEqual(doc.changes, [{ field: 'healthCheckPath', from: '/healthz', to: '/up' }]);
    assert.equal(doc.applied, true);
    assert.match(doc.renderYaml, /preDeployCommand/);
    assert.equal(s.healthCheckPath, '/up');
  });

  it('refuses a free-plan service and a static site in one line, changing nothing', async () => {
    const free = sim.addService({ plan: 'free' });
    const r = await pgward(project([free.id]), ['render', 'setup', '--env', 'production']);
    assert.equal(r.code, 1);
    assert.deepEqual(errorLines(r.stderr), [
      `error: Render service ${free.id} (api) is on the free plan, which cannot run a pre-deploy command`,
    ]);
    assert.equal(free.patches.length, 0);
    const site = sim.addService({ type: 'static_site' });
    const r2 = await pgward(project([site.id]), ['render', 'setup', '--env', 'production', '--json']);
    assert.equal(r2.code, 1);
    assert.match(
      JSON.parse(r2.stdout).error.message,
      /is a static_site: Render runs pre-deploy commands only on/,
    );
  });

  it('reports an unknown service id in one line with the config key to check', async () => {
    const r = await pgward(project(['srv-unknown000000000000']), ['render', 'setup', '--env', 'production']);
    assert.equal(r.code, 1);
    assert.deepEqual(errorLines(r.stderr), [
      'error: Render API GET /services/srv-unknown000000000000: 404 not_found service not found',
    ]);
    assert.match(r.stderr, /hint: check deploy\.render\.services in pgward\.yaml/);
  });

  it('reports a missing and a wrong API key in one line each', async () => {
    const s = sim.addService();
    const dir = project([s.id], '        api_key_env: MY_RENDER_KEY\n');
    const missing = await pgward(dir, ['render', 'setup', '--env', 'production'], {
      MY_RENDER_KEY: undefined,
    });
    assert.equal(missing.code, 2);
    assert.deepEqual(errorLines(missing.stderr), [
      'error: the Render API key is missing: environment variable MY_RENDER_KEY is not set',
    ]);
    const wrong = await pgward(dir, ['render', 'setup', '--env', 'production'], {
      MY_RENDER_KEY: 'rnd_notTheRightKey123',
    });
    assert.equal(wrong.code, 1);
    assert.deepEqual(errorLines(wrong.stderr), [
      `error: Render API GET /services/${s.id}: 401 unauthorized unauthorized`,
    ]);
    assert.match(wrong.stderr, /hint: check MY_RENDER_KEY/);
    assert.ok(!wrong.stderr.includes('rnd_notTheRightKey123'));
    assert.equal(s.patches.length, 0);
  });

  it('invariant: the Render API key never appears in render setup output, JSON or errors, under an API outage too', async () => {
    const s = sim.addService({ plan: 'free' });
    const dir = project([s.id]);
    await pgward(dir, ['render', 'setup', '--env', 'production', '--json']);
    await pgward(dir, ['render', 'setup', '--env', 'production', '--verbose']);
    sim.faults.outage(10, '503');
    await pgward(dir, ['render', 'setup', '--env', 'production', '--json'], { PGWARD_RENDER_POLL_MS: '5' });
    assert.ok(outputs.length >= 10);
    for (const o of outputs) assert.ok(!o.includes(sim.apiKey), `the API key leaked:\n${o}`);
    // every request did carry it, so the key was really in play
    assert.ok(
      sim.requests.length > 0 &&
        sim.requests.every((r) => r.status === 503 || r.authorization?.startsWith('Bearer ')),
    );
  });
});
