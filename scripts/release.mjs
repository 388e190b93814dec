// `npm run release`: everything a release publishes, in dist/release/ (git-ignored):
//   pgward-<version>.tgz              the npm package (`npm pack`)
//   pgward-<version>-linux-x64        the single executable (docs/install.md)
//   SHA256SUMS                        their SHA-256 checksums, in `sha256sum --check` format
// Both are built from this checkout here, so they carry the same version and commit (pgward --version).
// A checkout with uncommitted changes is refused (the builds would be stamped "-dirty"), unless
// --allow-dirty. The checkout is left as it was: everything written goes to dist/ (git-ignored), and
// the script checks that at the end.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({ options: { 'allow-dirty': { type: 'boolean', default: false } } });
const OUT = 'dist/release';

function sh(cmd, args, capture = false) {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
  });
}

function porcelain() {
  return sh('git', ['status', '--porcelain'], true).trim();
}

const before = porcelain();
if (before !== '' && !opts['allow-dirty']) {
  process.stderr.write(
    `error: the checkout has uncommitted changes; commit them first (or --allow-dirty):\n${before}\n`,
  );
  process.exit(2);
}
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
sh('npm', ['run', '--silent', 'build']);
sh(process.execPath, ['scripts/build-exe.mjs']);
const exeName = `pgward-${version}-${process.platform}-${process.arch}`;
copyFileSync(join('dist', 'exe', `pgward-${process.platform}-${process.arch}`), join(OUT, exeName));
// --ignore-scripts: the package is what `npm run build` just made, nothing runs on packing.
const packed = JSON.parse(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', OUT], true));
const tarball = packed[0].filename;

const artifacts = readdirSync(OUT)
  .filter((f) => f !== 'SHA256SUMS')
  .sort();
const sums = artifacts.map(
  (f) =>
    `${createHash('sha256')
      .update(readFileSync(join(OUT, f)))
      .digest('hex')}  ${f}\n`,
);
writeFileSync(join(OUT, 'SHA256SUMS'), sums.join(''));

const after = porcelain();
if (after !== before) {
  process.stderr.write(`error: the release build changed the checkout:\n${after}\n`);
  process.exit(1);
}
process.stdout.write(`${OUT}/ (npm package ${tarball}, executable ${exeName}):\n${sums.join('')}`);
