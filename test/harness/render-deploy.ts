// A project set up for `pgward deploy` with `provider: render` against the Render API simulator
// (test/harness/render-sim.ts): a real database on the test cluster, the app server whose health the test
// controls, and the built CLI run with the simulator's URL and key (PGWARD_RENDER_POLL_MS=20).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppServer, startAppServer } from './app-server.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { type CliResult, makeProject, runCli } from './project.js';
import { type RenderSim, type RenderSimOptions, type SimService, startRenderSim } from './render-sim.js';

export interface RenderDeployProject {
  dir: string;
  db: TestDatabase;
  app: AppServer;
  sim: RenderSim;
  service: SimService;
  env: Record<string, string>;
  run(
    args: string[],
    opts?: { onSpawn?: (c: import('node:child_process').ChildProcess) => void },
  ): Promise<CliResult>;
  /** Deploys the sim created through the API (trigger "api"), oldest first. */
  apiDeploys(): string[];
  /** Paths of POSTs to the service's rollback endpoint, with the deploy id asked for. */
  rollbacks(): string[];
  close(): Promise<void>;
}

export interface RenderDeployProjectOptions {
  migrations: Record<string, string>;
  envName?: string;
  /** Extra keys under deploy.verify (each line indented for you). */
  verify?: string;
  /** Extra keys under deploy.render. */
  render?: string;
  /** Extra top-level yaml (serve:, other environments). */
  extra?: string;
  sim?: RenderSimOptions;
  /** An existing simulator (several projects on one Render account). */
  useSim?: RenderSim;
  env?: Record<string, string>;
  files?: Record<string, string>;
}

const indent = (s: string | undefined, n: number) =>
  (s ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => `${' '.repeat(n)}${l}`)
    .join('\n');

/** deploy.verify: short intervals for tests; `extra` lines (key: value) override a default of the same key. */
function verifyYaml(healthUrl: string, extra: string | undefined): string {
  const keys = new Map<string, string>([
    ['health_url', healthUrl],
    ['checks', '2'],
    ['interval', '50ms'],
    ['timeout', '2s'],
    ['error_threshold', '1'],
    ['window', '300ms'],
    ['min_requests', '5'],
  ]);
  for (const line of (extra ?? '').split('\n').filter(Boolean)) {
    const i = line.indexOf(':');
    keys.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return [...keys].map(([k, v]) => `${k}: ${v}`).join('\n');
}

export async function renderDeployProject(o: RenderDeployProjectOptions): Promise<RenderDeployProject> {
  const db = await createTestDatabase();
  const app = await startAppServer();
  const sim = o.useSim ?? (await startRenderSim({ stepMs: 20, ...o.sim }));
  const service = sim.addService({ name: 'api' });
  const envName = o.envName ?? 'production';
  const yaml = `environments:
  ${envName}:
    url: \${DB_URL}
    policy:
      pause_seconds: 0
    deploy:
      provider: render
      render:
        services: [${service.id}]
        api_url: ${sim.url}
${indent(o.render, 8)}
      verify:
${indent(verifyYaml(app.healthUrl, o.verify), 8)}
${o.extra ?? ''}
`;
  const dir = makeProject({ 'pgward.yaml': yaml, ...o.migrations, ...o.files });
  const env = {
    DB_URL: db.url,
    RENDER_API_KEY: sim.apiKey,
    PGWARD_RENDER_POLL_MS: '20',
    ...o.env,
  };
  return {
    dir,
    db,
    app,
    sim,
    service,
    env,
    run: (args, opts = {}) => runCli(args, { cwd: dir, env, ...opts }),
    apiDeploys: () =>
      sim
        .deploys(service.id)
        .filter((d) => d.trigger === 'api')
        .map((d) => d.id)
        .reverse(),
    rollbacks: () =>
      sim.requests
        .filter((r) => r.method === 'POST' && r.path.startsWith(`/v1/services/${service.id}/rollback`))
        .map((r) => r.path),
    close: async () => {
      await app.close();
      if (!o.useSim) await sim.close();
    },
  };
}

/** A Slack-compatible webhook receiver: every POSTed JSON body, in order. */
export async function webhookReceiver(path = '/hooks/T000-render'): Promise<{
  url: string;
  posts: { text?: string }[];
  close: () => Promise<void>;
}> {
  const posts: { text?: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      posts.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    posts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
