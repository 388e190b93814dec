// `npm run demo`: pgward's main job end to end against throwaway local PostgreSQL servers. It starts
// two clusters in temp dirs (the app's server, and a second one for migration rehearsals), writes a
// sample app project, and runs the real CLI:
//   status → serve /health (pending) → migrate (with a pre-migrate backup) → /health (ok) →
//   a destructive migration blocked, then approved → backup verify by restore drill → catalog →
//   clone production into a masked staging copy → rehearsal of a table-rewriting migration.
// Everything is removed at the end.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cluster, startCluster } from '../test/harness/cluster.js';
import { adminQuery } from '../test/harness/db.js';
import { CLI, writeFile } from '../test/harness/project.js';

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(s)}`);

const clusters: Cluster[] = [];
const project = mkdtempSync(join(tmpdir(), 'pgward-demo-'));
let serve: ChildProcess | undefined;
let env: Record<string, string> = {};

/** Runs `pgward ...` in the project, shows the command and its output, checks the exit code. */
function pgward(args: string[], expectCode: number): void {
  console.log(`\n${bold(`$ pgward ${args.join(' ')}`)}`);
  // Inherit stdout and stderr so progress (stderr) and results (stdout) appear in their real order.
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: project,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
  console.log(`(exit ${r.status})`);
  if (r.status !== expectCode)
    throw new Error(`pgward ${args[0]}: expected exit ${expectCode}, got ${r.status}`);
}

/** Starts `pgward serve` and resolves with its base URL once it listens. */
function startServe(): Promise<string> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--env', 'production', '--port', '0', '--refresh', '300ms', '--no-scheduler'],
    { cwd: project, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  serve = child;
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`pgward serve exited ${code}: ${err}`)));
  });
}

async function showHealth(base: string, until?: (h: { status: string }) => boolean): Promise<void> {
  console.log(`\n${bold(`$ curl ${base}/health/migrations`)}`);
  for (let i = 0; i < 50; i++) {
    const health = (await (await fetch(`${base}/health`)).json()) as { status: string };
    if (!until || until(health)) {
      const migrations = await (await fetch(`${base}/health/migrations`)).text();
      console.log(`${migrations.trim()}\n(/health status: ${health.status})`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200)); // the serve loop refreshes every 300 ms
  }
  throw new Error('serve never reported the expected state');
}

let failed = false;
try {
  const app = await startCluster();
  clusters.push(app);
  const rehearsal = await startCluster();
  clusters.push(rehearsal);
  console.log(
    bold(
      `pgward demo — throwaway PostgreSQL on ports ${app.port} and ${rehearsal.port}, project in ${project}`,
    ),
  );
  await adminQuery(app.url(), 'CREATE DATABASE demo_app');
  await adminQuery(app.url(), 'CREATE DATABASE demo_staging');
  env = {
    PRODUCTION_DATABASE_URL: app.url('demo_app'),
    STAGING_DATABASE_URL: app.url('demo_staging'),
    REHEARSAL_SERVER_URL: rehearsal.url('postgres'),
    PGWARD_ACTOR: 'demo-user',
  };
  writeFileSync(
    join(project, 'pgward.yaml'),
    [
      'migrations:',
      '  dir: db/migrations',
      'default_env: production',
      'environments:',
      '  production:',
      '    url: ${PRODUCTION_DATABASE_URL}',
      '    protected: true            # blocks destructive changes, backs up before migrating',
      '  staging:',
      '    url: ${STAGING_DATABASE_URL}',
      'backups:',
      '  storage: file://./backups',
      'masking:',
      '  rules:',
      '    - to: staging',
      '      columns:',
      '        public.users.email: fake_email',
      '        public.users.name: fake_name',
      'rehearsal:',
      '  server: ${REHEARSAL_SERVER_URL}',
      '  max_lock_seconds: 5',
      '',
    ].join('\n'),
  );
  writeFile(
    project,
    'db/migrations/20250101090000_create_users.sql',
    '-- migrate:up\nCREATE TABLE users (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  name text NOT NULL,\n  legacy_flag boolean\n);\n\n-- migrate:down\nDROP TABLE users;\n',
  );
  writeFile(
    project,
    'db/migrations/20250102090000_add_email.sql',
    "-- migrate:up\nALTER TABLE users ADD COLUMN email text;\nINSERT INTO users (name, email)\n  SELECT 'User ' || i, 'user' || i || '@example.com' FROM generate_series(1, 5000) AS i;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN email;\n",
  );
  writeFile(
    project,
    'db/migrations/20250103090000_index_email.sql',
    '-- pgward:no-transaction\n-- migrate:up\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n\n-- migrate:down\nDROP INDEX CONCURRENTLY IF EXISTS users_email;\n',
  );

  step('1. Three migrations in the code, none applied yet: status exits 3 (pending), and /health says so.');
  pgward(['status'], 3);
  const base = await startServe();
  await showHealth(base, (h) => h.status !== 'ok');

  step(
    '2. Apply them: a pre-migrate backup first (production policy), then each migration in its own transaction.',
  );
  pgward(['migrate'], 0);
  pgward(['status'], 0);
  await showHealth(base, (h) => h.status === 'ok');
  serve?.kill('SIGTERM');

  step(
    '3. A destructive migration reaches production: plan and the gate block it (exit 6) and nothing runs.',
  );
  writeFile(
    project,
    'db/migrations/20250104090000_drop_legacy_flag.sql',
    '-- migrate:up\nALTER TABLE users DROP COLUMN legacy_flag;\n\n-- migrate:down\nALTER TABLE users ADD COLUMN legacy_flag boolean;\n',
  );
  pgward(['plan'], 6);
  pgward(['migrate'], 6);
  step('4. A person approves exactly that file (bound to its checksum, kept with its history row).');
  pgward(['migrate', '--approve', '20250104090000'], 0);

  step('5. Backups you can prove: restore the newest one into a scratch database and compare every table.');
  pgward(['backup', 'create', '--label', 'demo'], 0);
  pgward(['backup', 'verify', 'latest'], 0);
  pgward(['backup', 'list'], 0);

  step('6. Copy production into staging, masking personal data on the way, and validate it.');
  pgward(['clone', '--from', 'production', '--to', 'staging', '--verify', 'hash', '--jobs', '2'], 0);
  const sample = await adminQuery(
    env.STAGING_DATABASE_URL!,
    'SELECT name, email FROM users ORDER BY id LIMIT 3',
  );
  console.log('staging users (masked):', sample);

  step('7. Rehearse a table-rewriting migration on a throwaway copy: real duration, locks and rewrites.');
  writeFile(
    project,
    'db/migrations/20250105090000_limit_name_length.sql',
    '-- migrate:up\nALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n\n-- migrate:down\nALTER TABLE users ALTER COLUMN name TYPE text;\n',
  );
  pgward(['rehearse'], 0);

  console.log(`\n${bold('demo finished: every step behaved as expected')}`);
} catch (err) {
  failed = true;
  console.error(`demo failed: ${(err as Error).message}`);
} finally {
  serve?.kill('SIGTERM');
  for (const c of clusters) c.stop();
  rmSync(project, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
