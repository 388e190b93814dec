// The peer tools the benchmarks compare pgward with (dbmate, squawk) are not dependencies of pgward:
// their npm packages list platform binaries for every OS as optional dependencies, and a registry
// mirror that lacks one of those versions makes the lock file unusable for `npm ci`. They are
// installed on demand, pinned, into bench/.peers (git-ignored), the first time a benchmark needs them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '.peers');
const VERSIONS = { dbmate: '2.36.0', 'squawk-cli': '2.66.0' };

/**
 * Installs the pinned peer packages when one is missing (all at once: `npm install --no-save` prunes
 * whatever it was not asked for); returns the directory holding their node_modules.
 */
export function ensurePeer(name) {
  if (!VERSIONS[name]) throw new Error(`unknown peer ${name}`);
  const modules = join(PEERS_DIR, 'node_modules');
  const missing = Object.keys(VERSIONS).filter((n) => !existsSync(join(modules, n, 'package.json')));
  if (missing.length > 0) {
    const specs = Object.entries(VERSIONS).map(([n, v]) => `${n}@${v}`);
    process.stderr.write(`bench: installing ${specs.join(' ')} into bench/.peers\n`);
    const r = spawnSync(
      'npm',
      [
        'install',
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--prefix',
        PEERS_DIR,
        ...specs,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (r.status !== 0) throw new Error(`npm install ${specs.join(' ')} failed (exit ${r.status})`);
  }
  return modules;
}
