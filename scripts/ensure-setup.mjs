// Makes `npm test` and `npm run demo` work on a fresh clone: installs npm dependencies when
// node_modules is missing and PostgreSQL from Debian packages when its binaries are missing.
// Plain JavaScript with no dependencies, because it runs before `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`error: ${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

const pgRoot = '/usr/lib/postgresql';
const hasServer =
  !!process.env.PGWARD_PG_BIN ||
  (existsSync(pgRoot) && readdirSync(pgRoot).some((v) => existsSync(join(pgRoot, v, 'bin', 'initdb'))));
// The /metrics test validates the exposition with promtool (Debian package `prometheus`).
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasServer || !hasPromtool) {
  const r = spawnSync('bash', [join(root, 'scripts', 'install-prereqs.sh')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PGWARD_EXTRA_PACKAGES: 'prometheus' },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  // Exactly the locked versions, and never a rewrite of package-lock.json: a fresh clone stays clean.
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
