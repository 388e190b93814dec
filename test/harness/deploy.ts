// A project set up for `pgward deploy` with the command provider: real shell deploy/rollback scripts
// that leave marker lines (one per run, with the deploy id) and optionally wait for a file the test
// creates, and the app server whose health the test controls.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppServer, startAppServer } from './app-server.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { type CliResult, makeProject, runCli } from './project.js';

export interface DeployProject {
  dir: string;
  db: TestDatabase;
  app: AppServer;
  env: Record<string, string>;
  run(
    args: string[],
    opts?: { onSpawn?: (c: import('node:child_process').ChildProcess) => void },
  ): Promise<CliResult>;
  /** Deploy ids the deploy script ran for, in order. */
  deployed(): string[];
  rolledBack(): string[];
  close(): Promise<void>;
}

export interface DeployProjectOptions {
  migrations: Record<string, string>;
  /** Environment name (production is protected: destructive changes blocked, backup first). */
  envName?: string;
  /** Extra lines under the environment (policy…), indented by 4. */
  policy?: string;
  /** Extra keys under deploy.verify, e.g. "timeout: 500ms". */
  verify?: string;
  /** The deploy script waits for this file (relative to the project) before it ends. */
  deployWaitsFor?: string;
  /** Exit code of the deploy script (default 0). */
  deployExit?: number;
  /** Extra top-level yaml (backups:, serve:). */
  extra?: string;
  /** Extra keys under deploy: (rehearse_budget…), e.g. "rehearse_budget: 1s". */
  deployBlock?: string;
  /** deploy.verify.timeout (default 2s). */
  verifyTimeout?: string;
  /** Extra environment for pgward (and so for the deploy scripts). */
  env?: Record<string, string>;
  /** Extra files of the project. */
  files?: Record<string, string>;
}

export async function deployProject(o: DeployProjectOptions): Promise<DeployProject> {
  const db = await createTestDatabase();
  const app = await startAppServer();
  const envName = o.envName ?? 'staging';
  const wait = o.deployWaitsFor
    ? `echo $$ > deploy.pid\nwhile [ ! -f ${o.deployWaitsFor} ]; do sleep 0.05; done\n`
    : '';
  const yaml = `environments:
  ${envName}:
    url: \${DB_URL}
    policy:
      pause_seconds: 0
${o.policy ?? ''}
    deploy:
      provider: command
${o.deployBlock ? `      ${o.deployBlock}\n` : ''}      command:
        deploy: sh ./deploy.sh
        rollback: sh ./rollback.sh
      verify:
        health_url: ${app.healthUrl}
        checks: 2
        interval: 50ms
        timeout: ${o.verifyTimeout ?? '2s'}
${(o.verify ?? '')
  .split('\n')
  .filter(Boolean)
  .map((l) => `        ${l}`)
  .join('\n')}
${o.extra ?? ''}
`;
  const dir = makeProject({
    'pgward.yaml': yaml,
    'deploy.sh': `echo "started $PGWARD_DEPLOY_ID" >> deploy.log\n${wait}echo "$PGWARD_DEPLOY_ID" >> deployed.txt\nexit ${o.deployExit ?? 0}\n`,
    'rollback.sh': 'echo "$PGWARD_DEPLOY_ID" >> rolledback.txt\n',
    ...o.migrations,
    ...o.files,
  });
  const env = { DB_URL: db.url, ...o.env };
  const lines = (f: string) =>
    existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean) : [];
  return {
    dir,
    db,
    app,
    env,
    run: (args, opts = {}) => runCli(args, { cwd: dir, env, ...opts }),
    deployed: () => lines('deployed.txt'),
    rolledBack: () => lines('rolledback.txt'),
    close: () => app.close(),
  };
}

/** Polls until `fn` returns a value; the bound is generous (the point is progress, not a timing). */
export async function until<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
