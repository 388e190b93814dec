// Clone benchmark: two throwaway clusters (source and target servers), a dataset on the source, then
// alternating runs of `pgward clone`, `pgcopydb clone` and `pg_dump -Fc | pg_restore`, each into a fresh
// database, same job count. Prints wall and CPU time (user + sys of the tool and every child it waited
// for: pg_dump, pg_restore, pgcopydb's workers; measured by /usr/bin/time) and their ratios.
//   npm run build && node --import tsx bench/clone/run.ts
// BENCH_DATASET=skewed (default): one table holds ~90% of the rows (bench/clone/skewed.ts);
//   =mixed: the >= 1 GB dataset of the backup benchmark. BENCH_SCALE=1, BENCH_ROUNDS=1, BENCH_JOBS=4.
// BENCH_PEER_SPLIT (default 128MB, pgward's default): pgcopydb's --split-tables-larger-than; 0 leaves it off.
// Needs pgcopydb on PATH (Debian/Ubuntu: apt-get install -y pgcopydb); without it that column is skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { generateDataset } from '../dataset.js';
import { generateSkewed } from './skewed.js';

// BENCH_CLI: another build of the CLI (e.g. a copy of dist/ from before a change, for A/B runs).
const CLI = process.env.BENCH_CLI ?? join(import.meta.dirname, '..', '..', 'dist', 'bin', 'pgward.js');
// BENCH_SKIP_DUMP=1 leaves out pg_dump|pg_restore: more rounds of the two parallel copiers in the same time.
// BENCH_CLI_B: a second build timed in the same rounds, alternating with the first (before/after).
const CLI_B = process.env.BENCH_CLI_B;
const skipDump = process.env.BENCH_SKIP_DUMP === '1';
const scale = Number(process.env.BENCH_SCALE ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
const jobs = Number(process.env.BENCH_JOBS ?? 4);
const skewed = (process.env.BENCH_DATASET ?? 'skewed') === 'skewed';
const peerSplit = process.env.BENCH_PEER_SPLIT ?? '128MB';
const TIME = '/usr/bin/time';
const log = (s: string) => process.stderr.write(`${s}\n`);
const settings = { maintenance_work_mem: "'256MB'", max_wal_size: "'4GB'", checkpoint_timeout: "'30min'" };

type Run = { wall: number; cpu: number };
const loadBefore = loadavg()
  .map((l) => l.toFixed(1))
  .join(' ');
const [source, target] = await Promise.all([startCluster({ settings }), startCluster({ settings })]);
const work = mkdtempSync(join(tmpdir(), 'pgward-bench-clone-'));
try {
  await adminQuery(source.url(), 'CREATE DATABASE bench');
  const ds = skewed
    ? await generateSkewed({ url: source.url('bench'), scale, log })
    : await generateDataset({ url: source.url('bench'), binDir: source.binDir, scale, log });
  log(
    `dataset: ${(ds.bytes / 1024 ** 3).toFixed(2)} GiB, ${ds.tables} tables, generated in ${ds.seconds.toFixed(0)}s`,
  );
  const su = new URL(source.url('bench'));
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(su.password), NO_COLOR: '1' };
  // URLs without the password: it travels in PGPASSWORD (both clusters share it)
  const bare = (c: typeof source, db: string) => `postgresql://${su.username}@127.0.0.1:${c.port}/${db}`;
  const pgcopydb = spawnSync('pgcopydb', ['--version'], { encoding: 'utf8' }).status === 0;
  let n = 0;
  const fresh = async () => {
    const db = `clone_${++n}`;
    await adminQuery(target.url(), `CREATE DATABASE ${db}`);
    return db;
  };
  const drop = (db: string) => adminQuery(target.url(), `DROP DATABASE ${db} WITH (FORCE)`);
  const timed = (label: string, program: string, args: string[], shell = false): Run => {
    // /usr/bin/time -f prints wall, user and sys on its last stderr line (children included).
    const argv = shell
      ? ['-f', 'TIME %e %U %S', 'sh', '-c', program]
      : ['-f', 'TIME %e %U %S', program, ...args];
    const r = spawnSync(TIME, argv, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    if (!m) throw new Error(`${label}: no timing from /usr/bin/time`);
    const run = { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
    // pgward prints its per-step timings last: shown so a slow step can be compared with pgcopydb's phases.
    const steps = r.stdout
      .split('\n')
      .filter((l) => /schema \d/.test(l))
      .join(' ');
    log(
      `${label}: ${run.wall.toFixed(1)}s wall, ${run.cpu.toFixed(1)}s CPU${steps ? `  (${steps.trim()})` : ''}`,
    );
    return run;
  };
  const times: Record<string, Run[]> = {
    pgward: [],
    'pgward-B': [],
    pgcopydb: [],
    'pg_dump|pg_restore': [],
  };
  for (let round = 1; round <= rounds; round++) {
    log(`round ${round}/${rounds}`);
    let db: Awaited<ReturnType<typeof fresh>>;
    for (const [key, cli] of [
      ['pgward', CLI],
      ['pgward-B', CLI_B],
    ] as const) {
      if (!cli) continue;
      db = await fresh();
      times[key]!.push(
        timed(`${key} clone`, process.execPath, [
          cli,
          'clone',
          '--from',
          source.url('bench'),
          '--to',
          target.url(db),
          '--jobs',
          String(jobs),
        ]),
      );
      await drop(db);
    }
    if (pgcopydb) {
      db = await fresh();
      const dir = join(work, `pgcopydb-${round}`);
      times.pgcopydb!.push(
        timed('pgcopydb clone', 'pgcopydb', [
          'clone',
          '--source',
          bare(source, 'bench'),
          '--target',
          bare(target, db),
          '--table-jobs',
          String(jobs),
          '--index-jobs',
          String(jobs),
          ...(peerSplit !== '0' ? ['--split-tables-larger-than', peerSplit] : []),
          '--no-owner',
          '--no-acl',
          '--dir',
          dir,
        ]),
      );
      rmSync(dir, { recursive: true, force: true });
      await drop(db);
    }
    if (skipDump) continue;
    db = await fresh();
    const bin = source.binDir;
    times['pg_dump|pg_restore']!.push(
      timed(
        'pg_dump -Fc | pg_restore',
        `'${bin}/pg_dump' -Fc '${bare(source, 'bench')}' | '${bin}/pg_restore' --no-owner --no-acl -d '${bare(target, db)}'`,
        [],
        true,
      ),
    );
    await drop(db);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? Number.NaN;
  const pw = med(times.pgward!.map((r) => r.wall));
  const pc = med(times.pgward!.map((r) => r.cpu));
  process.stdout.write(
    `\nclone of ${(ds.bytes / 1024 ** 3).toFixed(2)} GiB (${skewed ? 'skewed: one table ~90% of the rows' : 'mixed'}), ${jobs} jobs, ${rounds} round(s), medians; load average before: ${loadBefore}, after: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  for (const [k, v] of Object.entries(times)) {
    if (!v.length) continue;
    const w = med(v.map((r) => r.wall));
    const c = med(v.map((r) => r.cpu));
    process.stdout.write(
      `${k.padEnd(20)} wall ${w.toFixed(1).padStart(6)}s  CPU ${c.toFixed(1).padStart(6)}s   pgward/${k}: wall ${(pw / w).toFixed(2)}, CPU ${(pc / c).toFixed(2)}\n`,
    );
  }
  if (!pgcopydb) process.stdout.write('pgcopydb not installed: apt-get install -y pgcopydb\n');
} finally {
  rmSync(work, { recursive: true, force: true });
  source.stop();
  target.stop();
}
