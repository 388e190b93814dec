// bench/migrate-overhead: apply N trivial migrations with pgward and with dbmate on the same throwaway
// server, alternating which goes first each round, and print wall times and the ratio.
//   npm run bench:migrate -- [--migrations 200] [--rounds 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { CLI, ROOT } from '../../test/harness/project.js';

const { values } = parseArgs({
  options: { migrations: { type: 'string', default: '200' }, rounds: { type: 'string', default: '5' } },
});
const count = Number(values.migrations);
const rounds = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), 'pgward-bench-mig-'));
for (let i = 1; i <= count; i++) {
  const v = String(20240101000000 + i);
  writeFileSync(
    join(dir, `${v}_create_t${i}.sql`),
    `-- migrate:up\nCREATE TABLE t${i} (id bigint PRIMARY KEY, note text);\n\n-- migrate:down\nDROP TABLE t${i};\n`,
  );
}

const cluster = await startCluster();
const dbmate = join(ROOT, 'node_modules', '.bin', 'dbmate');

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

async function runPgward(round: number): Promise<number> {
  const url = await freshDb(`bench_pgward_${round}`);
  return timed(process.execPath, [CLI, 'migrate', '--quiet', '--url', url, '--dir', dir]);
}

async function runDbmate(round: number): Promise<number> {
  const url = `${await freshDb(`bench_dbmate_${round}`)}?sslmode=disable`;
  return timed(dbmate, ['--url', url, '--migrations-dir', dir, '--no-dump-schema', 'migrate']);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pgwardTimes: number[] = [];
const dbmateTimes: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so neither tool always runs on a warmer server.
    if (round % 2 === 0) {
      pgwardTimes.push(await runPgward(round));
      dbmateTimes.push(await runDbmate(round));
    } else {
      dbmateTimes.push(await runDbmate(round));
      pgwardTimes.push(await runPgward(round));
    }
    console.log(
      `round ${round + 1}: pgward ${pgwardTimes.at(-1)!.toFixed(0)} ms, dbmate ${dbmateTimes.at(-1)!.toFixed(0)} ms`,
    );
  }
  const p = median(pgwardTimes);
  const d = median(dbmateTimes);
  console.log(`\n${count} migrations, ${rounds} rounds (median wall time, process start to exit):`);
  console.log(`  pgward migrate  ${p.toFixed(0)} ms`);
  console.log(`  dbmate migrate  ${d.toFixed(0)} ms`);
  console.log(`  ratio pgward/dbmate = ${(p / d).toFixed(2)}  (target <= 1.00)`);
} finally {
  cluster.stop();
}
