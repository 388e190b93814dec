// `npm run demo`: pgward's main job end to end against a throwaway local PostgreSQL. Starts a cluster
// in a temp dir, writes a sample app project, and runs the real CLI: status, migrate, status again,
// a destructive migration blocked then approved in production. Everything is removed at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../test/harness/cluster.js';
import { adminQuery } from '../test/harness/db.js';
import { CLI, writeFile } from '../test/harness/project.js';

const bold = (s: string) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);

const cluster = await startCluster();
const project = mkdtempSync(join(tmpdir(), 'pgward-demo-'));
let failed = false;

/** Runs `pgward ...` in the project, shows the command and its output, checks the exit code. */
function pgward(args: string[], expectCode: number, env: Record<string, string> = {}): void {
  console.log(`\n${bold(`$ pgward ${args.join(' ')}`)}`);
  // Inherit stdout and stderr so progress (stderr) and results (stdout) appear in their real order.
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: project,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
  console.log(`(exit ${r.status})`);
  if (r.status !== expectCode) {
    failed = true;
    throw new Error(`expected exit ${expectCode}, got ${r.status}`);
  }
}

try {
  console.log(bold(`pgward demo — throwaway PostgreSQL on port ${cluster.port}, project in ${project}`));
  await adminQuery(cluster.url(), 'CREATE DATABASE demo_app');
  const url = cluster.url('demo_app');
  // Staging and production point at the same throwaway database here; in real life they differ.
  writeFileSync(
    join(project, 'pgward.yaml'),
    [
      'migrations:',
      '  dir: db/migrations',
      'default_env: staging',
      'environments:',
      '  staging:',
      '    url: ${DEMO_DATABASE_URL}',
      '    policy:',
      '      pause_seconds: 2',
      '  production:',
      '    url: ${DEMO_DATABASE_URL}',
      '    protected: true',
      '    policy:',
      '      backup_before_migrate: false',
      '',
    ].join('\n'),
  );
  const env = { DEMO_DATABASE_URL: url, PGWARD_ACTOR: 'demo-user' };
  writeFile(
    project,
    'db/migrations/20250101090000_create_users.sql',
    '-- migrate:up\nCREATE TABLE users (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  name text NOT NULL,\n  legacy_flag boolean\n);\n\n-- migrate:down\nDROP TABLE users;\n',
  );
  writeFile(
    project,
    'db/migrations/20250102090000_add_email.sql',
    "-- migrate:up\nALTER TABLE users ADD COLUMN email text;\nINSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com'), ('Linus', 'linus@example.com');\n\n-- migrate:down\nALTER TABLE users DROP COLUMN email;\n",
  );
  writeFile(
    project,
    'db/migrations/20250103090000_index_email.sql',
    '-- pgward:no-transaction\n-- migrate:up\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n\n-- migrate:down\nDROP INDEX CONCURRENTLY IF EXISTS users_email;\n',
  );

  console.log('\n1. Three migrations in the code, none applied yet: status exits 3 (pending).');
  pgward(['status'], 3, env);
  console.log(
    '\n2. Apply them: each in its own transaction (the index one statement by statement), under an advisory lock.',
  );
  pgward(['migrate'], 0, env);
  pgward(['status'], 0, env);

  console.log(
    '\n3. A destructive migration reaches production: the gate blocks it (exit 6) and nothing runs.',
  );
  writeFile(
    project,
    'db/migrations/20250104090000_drop_legacy_flag.sql',
    '-- migrate:up\nALTER TABLE users DROP COLUMN legacy_flag;\n\n-- migrate:down\nALTER TABLE users ADD COLUMN legacy_flag boolean;\n',
  );
  pgward(['plan', '--env', 'production'], 0, env);
  pgward(['migrate', '--env', 'production'], 6, env);
  console.log(
    '\n4. A person approves exactly that file (the approval is bound to its checksum and kept with its history row).',
  );
  pgward(['migrate', '--env', 'production', '--approve', '20250104090000'], 0, env);
  pgward(['status', '--env', 'production'], 0, env);
  console.log(`\n${bold('demo finished: every step behaved as expected')}`);
} catch (err) {
  failed = true;
  console.error(`demo failed: ${(err as Error).message}`);
} finally {
  cluster.stop();
  rmSync(project, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
