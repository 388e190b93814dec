// bench/guard: the statement-level guard's throughput on small statements. The same client (node-postgres,
// one connection) sends N statements straight to PostgreSQL and through the guard (startGuard with the
// production policy's inspector and a live control connection — what `pgward migrate` and `pgward exec`
// run); each workload is measured on both sides back to back, alternating which goes first, for
// several rounds; the verdict is the median of the per-round paired ratios, with statements/s.
//   npm run bench:guard -- [--statements 100000] [--rounds 3] [--workloads a,b] [--disk]
// Workloads: simple-select (`SELECT 1`, Query), simple-insert (one-row INSERT, Query), extended-insert
// (`INSERT … VALUES ($1)`, Parse/Bind/Execute/Sync), extended-pipelined (`SELECT $1::int`, node-postgres
// pipeline mode: up to --window statements in flight). Every statement is checked by the guard (the
// fast path for statements that can neither lose data nor take a lock worth judging) and recorded.
// The cluster lives in /dev/shm (memory) unless --disk, as in the other benchmarks.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { defaultPolicy } from '../../src/config/target.js';
import { policyInspector } from '../../src/guard/inspect.js';
import { startGuard } from '../../src/guard/proxy.js';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';

const WORKLOADS = ['simple-select', 'simple-insert', 'extended-insert', 'extended-pipelined'] as const;
type Workload = (typeof WORKLOADS)[number];

const { values } = parseArgs({
  options: {
    statements: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    window: { type: 'string', default: '500' },
    workloads: { type: 'string', default: WORKLOADS.join(',') },
    disk: { type: 'boolean', default: false },
  },
});
const count = Number(values.statements);
const rounds = Number(values.rounds);
const windowSize = Number(values.window);
const workloads = values.workloads.split(',').map((w) => w.trim()) as Workload[];
for (const w of workloads) {
  if (!WORKLOADS.includes(w)) {
    console.error(`error: unknown workload ${w} (one of ${WORKLOADS.join(', ')})`);
    process.exit(2);
  }
}
if (!(count >= 1000 && rounds >= 1 && windowSize >= 1)) {
  console.error('error: --statements must be at least 1000, --rounds and --window at least 1');
  process.exit(2);
}

/** Sends `n` statements of the workload on `client`; resolves when the last answer arrived. */
async function drive(client: pg.Client, w: Workload, n: number): Promise<void> {
  if (w === 'extended-pipelined') {
    let inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      inFlight.push(client.query('SELECT $1::int AS v', [i]));
      if (inFlight.length >= windowSize) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    return;
  }
  for (let i = 0; i < n; i++) {
    if (w === 'simple-select') await client.query('SELECT 1');
    else if (w === 'simple-insert') await client.query('INSERT INTO bench_rows (v) VALUES (1)');
    else await client.query('INSERT INTO bench_rows (v) VALUES ($1)', [i]);
  }
}

/** Milliseconds to run the workload over a fresh connection to `url` (connect time excluded). */
async function timed(url: string, w: Workload): Promise<number> {
  const client = new pg.Client({
    connectionString: url,
    pipeline: w === 'extended-pipelined',
  } as pg.ClientConfig);
  await client.connect();
  try {
    await drive(client, w, 200); // warm the connection (and the JIT) before timing
    const started = performance.now();
    await drive(client, w, count);
    return performance.now() - started;
  } finally {
    await client.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const inMemory = !values.disk && existsSync('/dev/shm');
const cluster = await startCluster(inMemory ? { baseDir: '/dev/shm' } : {});
const url = cluster.url('bench_guard');
let exitCode = 0;
let guard: Awaited<ReturnType<typeof startGuard>> | undefined;
const control = new pg.Client({ connectionString: url });
try {
  await adminQuery(cluster.url(), 'CREATE DATABASE bench_guard');
  await adminQuery(url, 'CREATE TABLE bench_rows (id bigserial PRIMARY KEY, v int)');
  await control.connect();
  const serverVersionNum = Number(
    (await control.query('SHOW server_version_num')).rows[0].server_version_num,
  );
  let recorded = 0;
  guard = await startGuard({
    upstreamUrl: url,
    settings: { lock_timeout: '5s', statement_timeout: '10min' },
    inspector: policyInspector({
      policy: defaultPolicy(true),
      env: 'production',
      control,
      serverVersionNum,
      approval: () => ({ approved: false, hint: '' }),
    }),
    onStatement: () => {
      recorded++;
    },
  });
  console.log(
    `cluster data in ${inMemory ? '/dev/shm (memory)' : 'the temp dir (disk)'}; ${count} statements per workload, ` +
      `${rounds} rounds, one connection per side`,
  );
  const results = new Map<Workload, { direct: number[]; guard: number[]; ratios: number[] }>();
  for (let round = 0; round < rounds; round++) {
    const parts: string[] = [];
    for (const w of workloads) {
      const r = results.get(w) ?? { direct: [], guard: [], ratios: [] };
      results.set(w, r);
      const before = recorded;
      const guardFirst = round % 2 === 1;
      const g1 = guardFirst ? await timed(guard.url, w) : 0;
      const d = await timed(url, w);
      const g = guardFirst ? g1 : await timed(guard.url, w);
      // Every statement through the guard must have been seen and recorded, warm-up included.
      if (recorded - before !== count + 200)
        throw new Error(`${w}: the guard recorded ${recorded - before} statements, expected ${count + 200}`);
      r.direct.push(d);
      r.guard.push(g);
      r.ratios.push(g / d);
      parts.push(`${w} ${(g / d).toFixed(2)}x`);
    }
    console.log(`round ${round + 1}: ${parts.join(', ')}`);
  }
  const rate = (ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
  console.log(`\n${count} statements per workload, ${rounds} rounds (median):`);
  const head = ['workload', 'direct', 'through the guard', 'ratio', 'guard µs/statement'];
  const rows = workloads.map((w) => {
    const r = results.get(w)!;
    const d = median(r.direct);
    const g = median(r.guard);
    return [
      w,
      `${(d / 1000).toFixed(2)} s (${rate(d)})`,
      `${(g / 1000).toFixed(2)} s (${rate(g)})`,
      median(r.ratios).toFixed(2),
      (((g - d) / count) * 1000).toFixed(1),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    console.log(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd());
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await guard?.close().catch(() => {});
  await control.end().catch(() => {});
  cluster.stop();
}
process.exit(exitCode);
