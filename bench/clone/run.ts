// Clone benchmark: two throwaway clusters (source and target servers), the >= 1 GB dataset of the backup
// benchmark on the source, then alternating runs of `pgward clone`, `pgcopydb clone` and
// `pg_dump -Fc | pg_restore`, each into a fresh database, same job count. Prints times and ratios.
//   npm run build && node --import tsx bench/clone/run.ts   (BENCH_SCALE=1, BENCH_ROUNDS=1, BENCH_JOBS=2)
// Needs pgcopydb on PATH (Debian/Ubuntu: apt-get install -y pgcopydb); without it that column is skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { generateDataset } from '../dataset.js';

// BENCH_CLI: another build of the CLI (e.g. a copy of dist/ from before a change, for A/B runs).
const CLI = process.env.BENCH_CLI ?? join(import.meta.dirname, '..', '..', 'dist', 'bin', 'pgward.js');
// BENCH_SKIP_DUMP=1 leaves out pg_dump|pg_restore: more rounds of the two parallel copiers in the same time.
// BENCH_CLI_B: a second build timed in the same rounds, alternating with the first (before/after).
const CLI_B = process.env.BENCH_CLI_B;
const skipDump = process.env.BENCH_SKIP_DUMP === '1';
const scale = Number(process.env.BENCH_SCALE ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
const jobs = Number(process.env.BENCH_JOBS ?? 2);
const log = (s: string) => process.stderr.write(`${s}\n`);
const settings = { maintenance_work_mem: "'256MB'", max_wal_size: "'4GB'", checkpoint_timeout: "'30min'" };

const [source, target] = await Promise.all([startCluster({ settings }), startCluster({ settings })]);
const work = mkdtempSync(join(tmpdir(), 'pgward-bench-clone-'));
try {
  await adminQuery(source.url(), 'CREATE DATABASE bench');
  const ds = await generateDataset({ url: source.url('bench'), binDir: source.binDir, scale, log });
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
  const timed = (label: string, program: string, args: string[], shell = false): number => {
    const t = process.hrtime.bigint();
    const r = shell
      ? spawnSync('sh', ['-c', program], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      : spawnSync(program, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(-2000)}`);
    // pgward prints its per-step timings last: shown so a slow step can be compared with pgcopydb's phases.
    const steps = r.stdout
      .split('\n')
      .filter((l) => /schema \d/.test(l))
      .join(' ');
    log(`${label}: ${s.toFixed(1)}s${steps ? `  (${steps.trim()})` : ''}`);
    return s;
  };
  const times: Record<string, number[]> = {
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
  const p = med(times.pgward!);
  process.stdout.write(
    `\nclone of ${(ds.bytes / 1024 ** 3).toFixed(2)} GiB, ${jobs} jobs, ${rounds} round(s), median seconds\n`,
  );
  for (const [k, v] of Object.entries(times)) {
    if (!v.length) continue;
    const m = med(v);
    process.stdout.write(
      `${k.padEnd(20)} ${m.toFixed(1).padStart(7)}s   pgward/${k} = ${(p / m).toFixed(2)}\n`,
    );
  }
  if (!pgcopydb) process.stdout.write('pgcopydb not installed: apt-get install -y pgcopydb\n');
} finally {
  rmSync(work, { recursive: true, force: true });
  source.stop();
  target.stop();
}
