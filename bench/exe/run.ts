// bench/exe: start-up of the single executable against the npm package's CLI (node dist/bin/pgward.js),
// for `--help` (start-up only) and `status` (start-up, config, one connection, the history query), and
// the sizes each needs on disk.
//   npm run bench:exe -- [--rounds 21] [--no-cache-variant]
// Paired: each round runs every variant back to back in a rotating order, and the verdict is the median
// of the per-round ratios exe / npm (this 2-core VM is shared, so absolute times swing between rounds).
// The executable is measured as built (V8 code cache on) and, unless --no-cache-variant, also built
// without the code cache, to show what the cache buys.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { ensureExecutable } from '../../test/harness/exe.js';
import { CLI, ROOT } from '../../test/harness/project.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '21' },
    'no-cache-variant': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);

const exe = ensureExecutable();
const variants: Record<string, string[]> = { npm: [process.execPath, CLI], exe: [exe] };
if (!values['no-cache-variant']) {
  const out = join(ROOT, 'dist', 'exe-nocache');
  execFileSync(process.execPath, ['scripts/build-exe.mjs', '--out', out, '--no-code-cache'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  variants['exe, no code cache'] = [join(out, `pgward-${process.platform}-${process.arch}`)];
}
const names = Object.keys(variants);

const dir = mkdtempSync(join(tmpdir(), 'pgward-bench-exe-'));
const cluster = await startCluster();
for (let i = 1; i <= 20; i++) {
  writeFileSync(
    join(dir, `${String(i).padStart(3, '0')}_t${i}.sql`),
    `-- migrate:up\nCREATE TABLE t${i} (id int);\n`,
  );
}
await adminQuery(cluster.url(), 'CREATE DATABASE bench_exe');
const url = cluster.url('bench_exe');

function timed(argv: string[], args: string[], okCodes: number[]): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, [...argv.slice(1), ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', DATABASE_URL: url },
  });
  const ms = performance.now() - t0;
  if (!okCodes.includes(r.status ?? -1))
    throw new Error(`${argv.join(' ')} ${args.join(' ')}: ${r.status} ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sizeOf = (p: string): number =>
  statSync(p).isDirectory()
    ? readdirSync(p, { recursive: true, encoding: 'utf8' }).reduce((n, f) => {
        const s = statSync(join(p, f));
        return s.isFile() ? n + s.size : n;
      }, 0)
    : statSync(p).size;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

const commands: Record<string, { args: string[]; ok: number[] }> = {
  '--help': { args: ['--help'], ok: [0] },
  // 20 pending migrations: exit 3, the status a CI step or a pre-deploy check reads.
  status: { args: ['status', '--dir', dir], ok: [3] },
};
try {
  for (const [cmd, { args, ok }] of Object.entries(commands)) {
    const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const ratios: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (const n of names) timed(variants[n]!, args, ok); // warm the page cache once
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]!);
      const got: Record<string, number> = {};
      for (const n of order) got[n] = timed(variants[n]!, args, ok);
      for (const n of names) {
        times[n]!.push(got[n]!);
        ratios[n]!.push(got[n]! / got.npm!);
      }
    }
    console.log(`\npgward ${cmd} — ${rounds} paired rounds, wall time from spawn to exit (median):`);
    for (const n of names) {
      const ratio =
        n === 'npm' ? '' : `   ratio to npm ${median(ratios[n]!).toFixed(2)} (median of paired rounds)`;
      console.log(`  ${n.padEnd(20)} ${median(times[n]!).toFixed(0).padStart(5)} ms${ratio}`);
    }
  }
  console.log('\nsizes:');
  console.log(`  executable (Node 20 + bundle + code cache + parser .wasm) ${mb(sizeOf(exe))}`);
  console.log(
    `  npm bundle dist/bin/ (the CLI's JavaScript and source maps, without node_modules) ${mb(sizeOf(join(ROOT, 'dist', 'bin')))}`,
  );
  const deps = ['libpg-query', '@aws-sdk', 'pg', 'commander'].map((d) => join(ROOT, 'node_modules', d));
  console.log(
    `  + what it loads from node_modules at least (libpg-query, pg, commander, the AWS SDK): ${mb(deps.reduce((n, d) => n + sizeOf(d), 0))}`,
  );
  console.log(`  + the node binary itself (${process.execPath}) ${mb(statSync(process.execPath).size)}`);
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(ROOT, 'dist', 'exe-nocache'), { recursive: true, force: true }); // 93 MB, only for this comparison
}
