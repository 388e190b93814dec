// bench/migrate-overhead: apply N trivial migrations with pgward and with dbmate on the same throwaway
// server, rotating which goes first each round, and print wall times and ratios.
//   npm run bench:migrate -- [--migrations 200] [--rounds 9] [--disk] [--baseline OTHER/dist/bin/pgward.js]
// Every round also applies a single migration with each tool, so the figures split into a fixed cost
// (process start, connecting, the checks before the first migration) and a cost per migration
// ((time for N - time for 1) / (N - 1)): where the gap between the tools lies.
// --baseline adds another build of pgward (e.g. the previous commit's, built in a scratch checkout) to
// the same rounds, so a change is measured before/after on the same server, paired like the rest.
// dbmate is measured twice: as the `dbmate` command of its npm package (a small Node script that spawns
// the Go binary — what a user of the npm package runs) and as the Go binary itself (no Node start-up).
// The cluster lives in /dev/shm (memory) unless --disk: this VM's disk latency swings by 5x between
// runs and would drown the tools' own overhead, which is what this benchmark compares. The verdict is
// the median of the per-round paired ratios (both tools measured back to back on the same server).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { CLI } from '../../test/harness/project.js';
// @ts-expect-error plain ESM helper shared with the .mjs benchmarks
import { ensurePeer } from '../peers.mjs';

const { values } = parseArgs({
  options: {
    migrations: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '9' },
    disk: { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
});
const count = Number(values.migrations);
const rounds = Number(values.rounds);

/** A folder of n trivial migrations (one CREATE TABLE each, in dbmate's format, which both tools read). */
function migrationsDir(n: number): string {
  const d = mkdtempSync(join(tmpdir(), 'pgward-bench-mig-'));
  for (let i = 1; i <= n; i++) {
    const v = String(20240101000000 + i);
    writeFileSync(
      join(d, `${v}_create_t${i}.sql`),
      `-- migrate:up\nCREATE TABLE t${i} (id bigint PRIMARY KEY, note text);\n\n-- migrate:down\nDROP TABLE t${i};\n`,
    );
  }
  return d;
}
const dir = migrationsDir(count);
const single = migrationsDir(1);

const inMemory = !values.disk && existsSync('/dev/shm');
const cluster = await startCluster(inMemory ? { baseDir: '/dev/shm' } : {});
const peers = ensurePeer('dbmate');
const dbmateNpm = join(peers, '.bin', 'dbmate');
const dbmateNative = join(peers, '@dbmate', `${process.platform}-${process.arch}`, 'bin', 'dbmate');

function timed(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return ms;
}

async function freshDb(name: string): Promise<string> {
  await adminQuery(cluster.url(), `DROP DATABASE IF EXISTS ${name}`);
  await adminQuery(cluster.url(), `CREATE DATABASE ${name}`);
  return cluster.url(name);
}

async function runPgward(round: number, from: string, cli = CLI, tag = ''): Promise<number> {
  const url = await freshDb(`bench_pgward${tag}_${round}`);
  return timed(process.execPath, [cli, 'migrate', '--quiet', '--url', url, '--dir', from]);
}

async function runDbmate(round: number, from: string, bin: string, tag: string): Promise<number> {
  const url = `${await freshDb(`bench_dbmate_${tag}_${round}`)}?sslmode=disable`;
  return timed(bin, ['--url', url, '--migrations-dir', from, '--no-dump-schema', 'migrate']);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Tool = 'pgward' | 'dbmate (npm command)' | 'dbmate (Go binary)' | 'pgward (baseline)';
const runners: Partial<Record<Tool, (round: number, from: string) => Promise<number>>> = {
  pgward: (r, from) => runPgward(r, from),
  'dbmate (npm command)': (r, from) => runDbmate(r, from, dbmateNpm, 'npm'),
  'dbmate (Go binary)': (r, from) => runDbmate(r, from, dbmateNative, 'go'),
};
if (values.baseline) runners['pgward (baseline)'] = (r, from) => runPgward(r, from, values.baseline, '_base');
const tools = Object.keys(runners) as Tool[];
/** Per tool, the wall times of the N-migration runs and of the single-migration runs. */
const times = Object.fromEntries(
  tools.map((t) => [t, { all: [] as number[], one: [] as number[] }]),
) as Record<Tool, { all: number[]; one: number[] }>;
const ratios: Record<string, number[]> = { npm: [], go: [], base: [] };
try {
  console.log(
    `cluster data in ${inMemory ? '/dev/shm (memory)' : 'the temp dir (disk)'}; ${count} migrations`,
  );
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so no tool always runs on a warmer (or busier) server.
    const order = tools.map((_, i) => tools[(i + round) % tools.length]!);
    const got = {} as Record<Tool, number>;
    for (const tool of order) got[tool] = await runners[tool]!(round, dir);
    for (const tool of order) times[tool].one.push(await runners[tool]!(round + rounds, single));
    for (const tool of tools) times[tool].all.push(got[tool]);
    ratios.npm!.push(got.pgward / got['dbmate (npm command)']);
    ratios.go!.push(got.pgward / got['dbmate (Go binary)']);
    if (values.baseline) ratios.base!.push(got.pgward / got['pgward (baseline)']);
    console.log(`round ${round + 1}: ${tools.map((t) => `${t} ${got[t].toFixed(0)} ms`).join(', ')}`);
  }
  printSummary();
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(single, { recursive: true, force: true });
}

function printSummary(): void {
  console.log(`\n${count} migrations, ${rounds} rounds (wall time, process start to exit; median):`);
  for (const tool of tools) {
    const all = median(times[tool].all);
    const one = median(times[tool].one);
    const each = count > 1 ? ((all - one) / (count - 1)).toFixed(2) : '-';
    console.log(
      `  ${tool.padEnd(22)} ${all.toFixed(0)} ms   (1 migration: ${one.toFixed(0)} ms; each further one: ${each} ms)`,
    );
  }
  console.log(
    `  ratio pgward / dbmate npm command = ${median(ratios.npm!).toFixed(2)} (median of paired rounds; target <= 1.00)`,
  );
  console.log(
    `  ratio pgward / dbmate Go binary   = ${median(ratios.go!).toFixed(2)} (no Node start-up on dbmate's side)`,
  );
  if (values.baseline)
    console.log(`  ratio pgward / baseline build     = ${median(ratios.base!).toFixed(2)}`);
}
