// Backup benchmark: on a throwaway cluster with a >= 1 GB dataset, alternates pgward with the raw
// PostgreSQL tool doing the same job, and prints times and ratios against the targets in issue 4.
//   npm run build && node --import tsx bench/backup/run.ts   (BENCH_SCALE=1, BENCH_ROUNDS=1, BENCH_ONLY=create)
// BENCH_ONLY=create measures only `backup create` against `pg_dump -Fc` (no restore, no drill). Each round
// pairs the two back to back (the order alternating); the verdict is the median of the per-round ratios.
// Besides wall time, the user+system CPU of each command (its process tree: pg_dump included) is
// printed: on a shared machine whose load swings, CPU moves far less than wall time.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { generateDataset } from '../dataset.js';

// A private copy of the bundled CLI (dist/bin, what `npm install -g pgward` runs; `npm run
// bench:backup` builds it first), so a concurrent `npm run build` cannot swap the code mid-benchmark.
// Its libpg-query and AWS SDK still resolve from this checkout's node_modules (the copy lives inside).
const root = join(import.meta.dirname, '..', '..');
const benchDir = join(root, 'node_modules', '.cache', `pgward-bench-${process.pid}`);
if (!existsSync(join(root, 'dist', 'bin', 'pgward.js')))
  throw new Error('dist/bin/pgward.js is missing: run `npm run build` first (npm run bench:backup does)');
cpSync(join(root, 'dist', 'bin'), join(benchDir, 'dist', 'bin'), { recursive: true });
copyFileSync(join(root, 'dist', 'build-info.json'), join(benchDir, 'dist', 'build-info.json'));
copyFileSync(join(root, 'package.json'), join(benchDir, 'package.json')); // the version comes from it
const CLI = join(benchDir, 'dist', 'bin', 'pgward.js');
const scale = Number(process.env.BENCH_SCALE ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
const only = process.env.BENCH_ONLY;
const log = (s: string) => process.stderr.write(`${s}\n`);

const cluster = await startCluster({
  settings: { maintenance_work_mem: "'256MB'", max_wal_size: "'4GB'", checkpoint_timeout: "'30min'" },
});
const work = mkdtempSync(join(tmpdir(), 'pgward-bench-'));
try {
  await adminQuery(cluster.url(), 'CREATE DATABASE bench');
  const src = cluster.url('bench');
  const ds = await generateDataset({ url: src, binDir: cluster.binDir, scale, log });
  log(
    `dataset: ${(ds.bytes / 1024 ** 3).toFixed(2)} GiB, ${ds.tables} tables, generated in ${ds.seconds.toFixed(0)}s`,
  );

  const u = new URL(src);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password), NO_COLOR: '1' };
  const conn = (db: string) => `${u.protocol}//${u.username}@${u.host}/${db}`;
  const storage = `file://${join(work, 'store')}`;
  const rawFile = join(work, 'raw.dump');
  let dbn = 0;

  const cpu: Record<string, number[]> = {};
  const timed = (label: string, program: string, args: string[]): number => {
    const t = process.hrtime.bigint();
    // /usr/bin/time reports the CPU of the command's whole process tree (children it waited for).
    const [file, argv] = existsSync('/usr/bin/time')
      ? ['/usr/bin/time', ['-f', 'cpu %U %S', program, ...args]]
      : [program, args];
    const r = spawnSync(file, argv, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr}`);
    const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    const c = m ? Number(m[1]) + Number(m[2]) : Number.NaN;
    cpu[label] = [...(cpu[label] ?? []), c];
    log(`  ${label.padEnd(22)} ${s.toFixed(1)}s  cpu ${c.toFixed(2)}s`);
    return s;
  };
  const pgward = (args: string[]) => [CLI, ...args];
  const fresh = async () => {
    const name = `r${++dbn}`;
    await adminQuery(cluster.url(), `CREATE DATABASE ${name}`);
    return name;
  };
  const drop = (name: string) => adminQuery(cluster.url(), `DROP DATABASE ${name}`);

  const results: Record<string, { pgward: number[]; raw: number[] }> = {
    create: { pgward: [], raw: [] },
    restore: { pgward: [], raw: [] },
    verify: { pgward: [], raw: [] },
  };
  let id = '';
  for (let round = 0; round < rounds; round++) {
    // Alternate who goes first each round so cache warmth does not favour one side.
    const order = round % 2 === 0 ? ['pgward', 'raw'] : ['raw', 'pgward'];
    log(`round ${round + 1}: create`);
    for (const who of order) {
      if (who === 'raw')
        results.create!.raw.push(
          timed('pg_dump -Fc', join(cluster.binDir, 'pg_dump'), [
            '-Fc',
            '-f',
            rawFile,
            `--dbname=${conn('bench')}`,
          ]),
        );
      else {
        results.create!.pgward.push(
          timed(
            'pgward backup create',
            process.execPath,
            pgward(['backup', '--storage', storage, 'create', '--url', src, '--json', '-q']),
          ),
        );
        const list = spawnSync(process.execPath, pgward(['backup', '--storage', storage, 'list', '--json']), {
          env,
          encoding: 'utf8',
        });
        id = JSON.parse(list.stdout).backups[0].id;
      }
    }
    if (only === 'create') continue;
    log(`round ${round + 1}: restore`);
    for (const who of [...order].reverse()) {
      if (who === 'raw') {
        const name = await fresh();
        results.restore!.raw.push(
          timed('pg_restore -j2', join(cluster.binDir, 'pg_restore'), [
            '-j2',
            `--dbname=${conn(name)}`,
            rawFile,
          ]),
        );
        await drop(name);
      } else {
        const name = `r${++dbn}`;
        results.restore!.pgward.push(
          timed(
            'pgward backup restore',
            process.execPath,
            pgward([
              'backup',
              '--storage',
              storage,
              'restore',
              id,
              '--to',
              src,
              '--create',
              name,
              '--jobs',
              '2',
              '-q',
            ]),
          ),
        );
        await drop(name);
      }
    }
    log(`round ${round + 1}: verify`);
    for (const who of order) {
      if (who === 'raw') {
        const name = await fresh();
        results.verify!.raw.push(
          timed('pg_restore -j2 (drill)', join(cluster.binDir, 'pg_restore'), [
            '-j2',
            `--dbname=${conn(name)}`,
            rawFile,
          ]),
        );
        await drop(name);
      } else {
        results.verify!.pgward.push(
          timed(
            'pgward backup verify',
            process.execPath,
            pgward(['backup', '--storage', storage, 'verify', id, '--url', src, '--jobs', '2', '-q']),
          ),
        );
      }
    }
  }

  // Each round pairs adjacent runs of both sides; the median of the per-round ratios resists a noisy
  // neighbour on a shared 2-core machine better than a ratio of means.
  const median = (xs: number[]) => {
    const v = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(v.length / 2);
    return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  };
  const targets: Record<string, number> = { create: 1.05, restore: 1.05, verify: 1.3 };
  const archive = statSync(rawFile).size;
  process.stdout.write(
    `\npgward backup benchmark · dataset ${(ds.bytes / 1024 ** 3).toFixed(2)} GiB (${ds.tables} tables) · archive ${(archive / 1024 ** 2).toFixed(0)} MiB · ${rounds} round(s)\n`,
  );
  process.stdout.write(
    `${'operation'.padEnd(10)} ${'pgward'.padStart(9)} ${'raw'.padStart(9)} ${'ratio'.padStart(7)}  target     per-round ratios\n`,
  );
  for (const [op, r] of Object.entries(results)) {
    if (r.pgward.length === 0) continue;
    const ratios = r.pgward.map((p, i) => p / r.raw[i]!);
    const ratio = median(ratios);
    const ok = ratio <= targets[op]!;
    process.stdout.write(
      `${op.padEnd(10)} ${`${median(r.pgward).toFixed(1)}s`.padStart(9)} ${`${median(r.raw).toFixed(1)}s`.padStart(9)} ${ratio.toFixed(3).padStart(7)}  ≤ ${String(targets[op]).padEnd(5)} ${ok ? 'met   ' : 'MISSED'} ${ratios.map((x) => x.toFixed(2)).join(' ')}\n`,
    );
  }
  for (const [label, xs] of Object.entries(cpu))
    process.stdout.write(`cpu (user+sys, process tree) ${label}: median ${median(xs).toFixed(2)}s\n`);
} finally {
  cluster.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(benchDir, { recursive: true, force: true });
}
