// bench/fleet: one `pgward serve --all` watching 200 environments (200 databases on two local
// clusters, each with applied and pending migrations, a schedule and a backup catalog). Measures:
// /metrics and /health scrape latency (p50/p99, sequential scrapes while refreshes run), the process's
// RSS (VmRSS now, VmHWM peak), the database load per refresh per environment (statements and their
// execution time from pg_stat_statements, transactions from pg_stat_database), the most refreshes
// seen at once against serve.refresh_concurrency, and, with 3 replicas, that every scheduled slot of
// every environment ran exactly once.
//   npm run bench:fleet    (BENCH_ENVS=200, BENCH_SCRAPES=200, BENCH_SECONDS=30, BENCH_REFRESH=5s,
//   BENCH_JOBS_SECONDS=150 (0: no job phase), BENCH_ONLY=jobs (no scrape phase), BENCH_JOB_EVERY=60, BENCH_JOB_REFRESH=30s, BENCH_KEEP=100; BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles each serve process,
//   BENCH_SERVE_LOG=FILE keeps their output; BENCH_JOB_CLIS=A,B runs the job phase with each build in turn,
//   BENCH_JOB_ROUNDS times, on the same clusters: an A/B pair on one machine state)
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { type Cluster, freePort, startCluster } from '../../test/harness/cluster.js';

const ENVS = Number(process.env.BENCH_ENVS ?? 200);
const SCRAPES = Number(process.env.BENCH_SCRAPES ?? 200);
const REFRESH = process.env.BENCH_REFRESH ?? '5s';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
// A Prometheus scrapes every 15-60 s; the bench scrapes 4 times a second (0: back to back, where the
// bench's own decoding of 1.4 MiB competes with the server for the 2 cores).
const SCRAPE_EVERY_MS = Number(process.env.BENCH_SCRAPE_EVERY_MS ?? 250);
const JOB_SECONDS = Number(process.env.BENCH_JOBS_SECONDS ?? 150);
// BENCH_ONLY=jobs: the replicas' job phase alone (no scrape phase).
const ONLY = process.env.BENCH_ONLY;
const JOB_EVERY_S = Number(process.env.BENCH_JOB_EVERY ?? 60);
// Three replicas refresh 200 environments each: at 5 s that is 120 refreshes a second on 2 cores.
const JOB_REFRESH = process.env.BENCH_JOB_REFRESH ?? '30s';
// serve.connections_per_server: the bench's clusters are sized for every environment to keep its own
// (3 replicas × 100 + the refreshes and jobs < max_connections); BENCH_KEEP=10 is the default's figure.
const KEEP = Number(process.env.BENCH_KEEP ?? 100);
const CLI = resolve(
  process.env.BENCH_CLI ?? join(import.meta.dirname, '..', '..', 'dist', 'bin', 'pgward.js'),
);
// The builds whose job phases are compared (each a pgward.js), in turn, BENCH_JOB_ROUNDS times.
const JOB_CLIS = (process.env.BENCH_JOB_CLIS?.split(',').filter(Boolean) ?? [CLI]).map((c) => resolve(c));
const JOB_ROUNDS = Number(process.env.BENCH_JOB_ROUNDS ?? 1);
const log = (s: string) => process.stderr.write(`${s}\n`);
// Each serve process's stdout and stderr are appended there (e.g. with BENCH_NODE_ARGS=--trace-gc).
const SERVE_LOG = process.env.BENCH_SERVE_LOG;
// pg_stat_statements.max: 200 databases × ~30 statements would otherwise evict entries and shrink the totals
const settings = {
  shared_preload_libraries: "'pg_stat_statements'",
  max_connections: '400',
  'pg_stat_statements.max': '20000',
};

const clusters = await Promise.all([startCluster({ settings }), startCluster({ settings })]);
const dir = mkdtempSync(join(tmpdir(), 'pgward-bench-fleet-'));
const children: ChildProcess[] = [];
const envName = (i: number) => `env${String(i).padStart(3, '0')}`;
const clusterOf = (i: number): Cluster => clusters[i % 2]!;

async function q<T extends pg.QueryResultRow>(url: string, text: string, params?: unknown[]): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

function project(jobs: boolean, refresh = REFRESH): string {
  const envs = Array.from({ length: ENVS }, (_, i) => {
    const sched = jobs ? `      doctor: "*/${JOB_EVERY_S} * * * * *"\n` : '      backup: "0 3 * * *"\n';
    return `  ${envName(i)}:\n    url: ${clusterOf(i).url(envName(i))}\n    schedule:\n${sched}`;
  }).join('');
  return `environments:\n${envs}serve:\n  refresh_interval: ${refresh}\n  connections_per_server: ${KEEP}\nbackups:\n  storage: file://${join(dir, 'backups')}\n`;
}

function serve(port: number, args: string[] = [], cli = CLI): Promise<ChildProcess> {
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, cli, 'serve', '--all', '--port', String(port), ...args],
    {
      cwd: dir,
      stdio: ['ignore', SERVE_LOG ? 'pipe' : 'ignore', 'pipe'],
    },
  );
  children.push(child);
  // --trace-gc and the like print on stdout
  child.stdout?.on('data', (d) => appendFileSync(SERVE_LOG!, d));
  let out = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      if (SERVE_LOG) appendFileSync(SERVE_LOG, d);
      out += d;
      if (out.includes('listening on')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out.slice(-2000)}`)));
  });
}

/**
 * One GET as Prometheus asks (gzip accepted). `ms`: until the response's last byte arrived, what the
 * server controls; `decodedMs`: also the client's gunzip and UTF-8 decoding of the body (1.4 MiB for
 * 200 environments: several ms of this process's CPU, and garbage its own GC collects).
 */
function timedGet(
  url: string,
): Promise<{ ms: number; decodedMs: number; body: string; status: number; wire: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const ms = performance.now() - t;
          const raw = Buffer.concat(chunks);
          const body = (res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
          resolve({
            ms,
            decodedMs: performance.now() - t,
            body,
            status: res.statusCode ?? 0,
            wire: raw.length,
          });
        });
      })
      .on('error', reject);
  });
}

/** CPU seconds of a process (and, for a postmaster, of its backends, ended ones included). */
function cpuSeconds(pid: number, withChildren = false): number {
  const fields = (p: number) => readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const f = fields(pid);
  // after "pid (comm) ": state=0 ppid=1 … utime=11 stime=12 cutime=13 cstime=14 (clock ticks)
  let ticks = Number(f[11]) + Number(f[12]);
  if (withChildren) {
    ticks += Number(f[13]) + Number(f[14]);
    for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x)))
      try {
        const c = fields(Number(d));
        if (Number(c[1]) === pid) ticks += Number(c[11]) + Number(c[12]);
      } catch {}
  }
  return ticks / 100;
}
const postmasterPid = (c: Cluster) =>
  Number(readFileSync(join(c.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
const serversCpu = () => clusters.reduce((n, c) => n + cpuSeconds(postmasterPid(c), true), 0);

const pct = (a: number[], p: number) =>
  [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))]!;
const rss = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sumMetric = (text: string, name: string) =>
  [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);

/** Statements, their execution time and transactions in the fleet's databases, both clusters. */
async function dbLoad(): Promise<{ calls: number; ms: number; xacts: number }> {
  let calls = 0;
  let ms = 0;
  let xacts = 0;
  for (const c of clusters) {
    const [s] = await q<{ calls: number; ms: number }>(
      c.url('postgres'),
      `SELECT coalesce(sum(calls), 0)::float8 AS calls, coalesce(sum(total_exec_time), 0)::float8 AS ms
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname LIKE 'env%'`,
    );
    const [x] = await q<{ x: number }>(
      c.url('postgres'),
      "SELECT coalesce(sum(xact_commit + xact_rollback), 0)::float8 AS x FROM pg_stat_database WHERE datname LIKE 'env%'",
    );
    calls += s!.calls;
    ms += s!.ms;
    xacts += x!.x;
  }
  return { calls, ms, xacts };
}

/** Sessions opened in the environments' databases so far (pg_stat_database.sessions, PostgreSQL 14+). */
async function sessionsOpened(): Promise<number> {
  let n = 0;
  for (const c of clusters) {
    const [r] = await q<{ n: number }>(
      c.url('postgres'),
      "SELECT coalesce(sum(sessions), 0)::float8 AS n FROM pg_stat_database WHERE datname LIKE 'env%'",
    );
    n += r!.n;
  }
  return n;
}

/** Where the servers' statement time went since the last reset: the costliest statements, both clusters. */
async function topStatements(limit: number): Promise<string[]> {
  const byQuery = new Map<string, { calls: number; ms: number }>();
  for (const c of clusters) {
    const rows = await q<{ query: string; calls: number; ms: number }>(
      c.url('postgres'),
      `SELECT regexp_replace(query, '[[:space:]]+', ' ', 'g') AS query, sum(calls)::float8 AS calls,
              sum(total_exec_time)::float8 AS ms
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname LIKE 'env%'
        GROUP BY 1`,
    );
    for (const r of rows) {
      const t = byQuery.get(r.query) ?? { calls: 0, ms: 0 };
      byQuery.set(r.query, { calls: t.calls + r.calls, ms: t.ms + r.ms });
    }
  }
  return [...byQuery]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, limit)
    .map(([qt, t]) => `  ${(t.ms / 1000).toFixed(1)} s in ${t.calls} calls: ${qt.slice(0, 110)}`);
}

/**
 * Three replicas, doctor every JOB_EVERY_S seconds in every environment: each slot must have exactly one
 * row (run, or skipped as superseded when no replica had capacity before the next slot came).
 */
async function jobsAcrossReplicas(cli: string): Promise<void> {
  writeFileSync(join(dir, 'pgward.yaml'), project(true, JOB_REFRESH));
  const reps = await Promise.all([0, 1, 2].map(async () => serve(await freePort(), [], cli)));
  // the window starts once every replica is up (with 200 environments, its first refresh takes a while)
  const started = new Date();
  const cpu0 = { servers: serversCpu(), serve: reps.reduce((n, r) => n + cpuSeconds(r.pid!), 0) };
  for (const c of clusters) await q(c.url('postgres'), 'SELECT pg_stat_statements_reset()');
  const sessions0 = await sessionsOpened();
  await new Promise((r) => setTimeout(r, JOB_SECONDS * 1000));
  const sessionsPerSecond = ((await sessionsOpened()) - sessions0) / JOB_SECONDS;
  const top = await topStatements(6);
  const cpu = {
    servers: (serversCpu() - cpu0.servers) / JOB_SECONDS,
    serve: (reps.reduce((n, r) => n + cpuSeconds(r.pid!), 0) - cpu0.serve) / JOB_SECONDS,
  };
  const every = JOB_EVERY_S * 1000;
  // slots due in the last interval may still wait for their turn when the replicas stop
  const until = new Date(Date.now() - every);
  const exited = reps.map((r) => new Promise((resolve) => r.once('exit', resolve)));
  for (const r of reps) r.kill('SIGTERM');
  await Promise.all(exited); // the next phase starts on servers these replicas left alone
  const from = new Date((Math.floor(started.getTime() / every) + 1) * every);
  let slots = 0;
  let ran = 0;
  let dup = 0;
  let missed = 0;
  let offGrid = 0;
  const runners = new Set<string>();
  const lags: number[] = [];
  const took: number[] = [];
  for (let i = 0; i < ENVS; i++) {
    const rows = await q<{
      at: Date;
      n: number;
      runner: string;
      ran: number;
      lag: number | null;
      took: number | null;
    }>(
      clusterOf(i).url(envName(i)),
      `SELECT scheduled_for AS at, count(*)::int AS n, min(runner) AS runner,
              count(*) FILTER (WHERE outcome IN ('ok', 'failed'))::int AS ran,
              extract(epoch FROM min(started_at) FILTER (WHERE outcome IN ('ok', 'failed')) - scheduled_for)::float8 AS lag,
              extract(epoch FROM max(finished_at - started_at) FILTER (WHERE outcome IN ('ok', 'failed')))::float8 AS took
         FROM pgward.jobs
       WHERE job = 'doctor' AND scheduled_for >= $1 AND scheduled_for < $2 GROUP BY 1 ORDER BY 1`,
      [from, until],
    );
    // A row off the schedule's grid is a slot some replica named by when it fired, not by its time:
    // the same slot under a second key (it would run twice).
    offGrid += rows.filter((r) => r.at.getTime() % every !== 0).length;
    slots += rows.length;
    ran += rows.reduce((n, r) => n + r.ran, 0);
    dup += rows.filter((r) => r.n > 1).length;
    for (const r of rows) runners.add(r.runner);
    for (const r of rows) if (r.lag !== null) lags.push(r.lag);
    for (const r of rows) if (r.took !== null) took.push(r.took);
    // every slot of the grid inside the window, in every environment
    missed +=
      Math.max(0, Math.ceil((until.getTime() - from.getTime()) / every)) -
      rows.filter((r) => r.at.getTime() % every === 0).length;
  }
  process.stdout.write(
    `${JOB_CLIS.length > 1 ? `${cli}: ` : ''}3 replicas (refresh ${JOB_REFRESH}), ${JOB_SECONDS} s, doctor every ${JOB_EVERY_S} s: ${slots} slots recorded across ${ENVS} environments (${ran} run, ${slots - ran} skipped as superseded), ${dup} recorded twice, ${offGrid} off the schedule's grid, ${missed} with no row; runners: ${runners.size}; start after the slot p50 ${lags.length ? pct(lags, 0.5).toFixed(1) : '-'} s, p99 ${lags.length ? pct(lags, 0.99).toFixed(1) : '-'} s; a run took p50 ${took.length ? pct(took, 0.5).toFixed(2) : '-'} s, p99 ${took.length ? pct(took, 0.99).toFixed(2) : '-'} s; CPU (cores): the 3 replicas ${cpu.serve.toFixed(2)}, PostgreSQL ${cpu.servers.toFixed(2)}, load average ${loadavg()[0]!.toFixed(1)}\n`,
  );
  process.stdout.write(
    `  the servers' time in the window: ${sessionsPerSecond.toFixed(1)} sessions opened a second; statements by execution time:\n${top.join('\n')}\n`,
  );
}

/** One serve --all, scraped while it refreshes every environment: latency, RSS, CPU, database load. */
async function scrapesWhileRefreshing(): Promise<void> {
  const port = await freePort();
  const t0 = performance.now();
  const main = await serve(port, ['--no-scheduler']);
  log(
    `serve --all: ${ENVS} environments up in ${((performance.now() - t0) / 1000).toFixed(1)} s (first refresh of each included)`,
  );
  const base = `http://127.0.0.1:${port}`;
  const m0 = (await timedGet(`${base}/metrics`)).body;
  const load0 = await dbLoad();
  const metricsMs: number[] = [];
  const metricsDecodedMs: number[] = [];
  const healthMs: number[] = [];
  // /up answers without reading anything: its latency is the machine's (CPU queue), not a body's
  const upMs: number[] = [];
  let bytes = 0;
  let wire = 0;
  const tScrape = performance.now();
  const cpu0 = { serve: cpuSeconds(main.pid!), servers: serversCpu(), bench: process.cpuUsage() };
  // At least SCRAPES scrapes, and for at least BENCH_SECONDS: several refresh intervals are measured.
  for (let i = 0; i < SCRAPES || performance.now() - tScrape < SECONDS * 1000; i++) {
    const due = tScrape + i * SCRAPE_EVERY_MS;
    if (performance.now() < due) await new Promise((r) => setTimeout(r, due - performance.now()));
    const m = await timedGet(`${base}/metrics`);
    if (m.status !== 200) throw new Error(`/metrics ${m.status}`);
    bytes = m.body.length;
    wire = m.wire;
    metricsMs.push(m.ms);
    metricsDecodedMs.push(m.decodedMs);
    healthMs.push((await timedGet(`${base}/health`)).ms);
    upMs.push((await timedGet(`${base}/up`)).ms);
  }
  const wall = (performance.now() - tScrape) / 1000;
  const benchCpu = process.cpuUsage(cpu0.bench);
  const cpu = {
    serve: (cpuSeconds(main.pid!) - cpu0.serve) / wall,
    servers: (serversCpu() - cpu0.servers) / wall,
    bench: (benchCpu.user + benchCpu.system) / 1e6 / wall,
  };
  const m1 = (await timedGet(`${base}/metrics`)).body;
  const load1 = await dbLoad();
  const refreshes = sumMetric(m1, 'pgward_refreshes_total') - sumMetric(m0, 'pgward_refreshes_total');
  const peak = Number(/^pgward_fleet_refresh_concurrency_peak (\S+)$/m.exec(m1)![1]);
  const limit = Number(/^pgward_fleet_refresh_concurrency (\S+)$/m.exec(m1)![1]);
  const up = [...m1.matchAll(/^pgward_database_up\{env="[^"]+"\} 1$/gm)].length;
  const refreshSeconds = [...m1.matchAll(/^pgward_refresh_duration_seconds\{[^}]*\} (\S+)$/gm)].map((x) =>
    Number(x[1]),
  );
  const out = [
    `fleet of ${ENVS} environments on 2 clusters, refresh ${REFRESH}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    `/metrics (${(bytes / 1024).toFixed(0)} KiB, ${(wire / 1024).toFixed(0)} KiB gzipped; ${metricsMs.length} scrapes ${SCRAPE_EVERY_MS ? `every ${SCRAPE_EVERY_MS} ms` : 'back to back'}, each followed by one of /health and /up): to the last byte p50 ${pct(metricsMs, 0.5).toFixed(1)} ms, p99 ${pct(metricsMs, 0.99).toFixed(1)} ms; with this client's gunzip and decoding p50 ${pct(metricsDecodedMs, 0.5).toFixed(1)} ms, p99 ${pct(metricsDecodedMs, 0.99).toFixed(1)} ms`,
    `/health: p50 ${pct(healthMs, 0.5).toFixed(1)} ms, p99 ${pct(healthMs, 0.99).toFixed(1)} ms; /up (no body to send): p50 ${pct(upMs, 0.5).toFixed(1)} ms, p99 ${pct(upMs, 0.99).toFixed(1)} ms`,
    `RSS: ${rss(main.pid!, 'VmRSS').toFixed(0)} MiB now, ${rss(main.pid!, 'VmHWM').toFixed(0)} MiB peak`,
    `CPU while scraping (cores): serve ${cpu.serve.toFixed(2)}, PostgreSQL (both clusters) ${cpu.servers.toFixed(2)}, this bench ${cpu.bench.toFixed(2)}`,
    `databases up in /metrics: ${up}/${ENVS}; refreshes at once: peak ${peak}, limit ${limit}`,
    `refresh duration per environment: p50 ${(pct(refreshSeconds, 0.5) * 1000).toFixed(0)} ms, p99 ${(pct(refreshSeconds, 0.99) * 1000).toFixed(0)} ms`,
    `database load per refresh per environment (${refreshes} refreshes measured): ${((load1.calls - load0.calls) / refreshes).toFixed(1)} statements, ${((load1.ms - load0.ms) / refreshes).toFixed(2)} ms executing, ${((load1.xacts - load0.xacts) / refreshes).toFixed(1)} transactions (connection set-up included)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  main.kill('SIGTERM');
}

try {
  const migrations = join(dir, 'db', 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(
    join(migrations, '001_accounts.sql'),
    '-- migrate:up\nCREATE TABLE accounts (id bigint PRIMARY KEY, name text);\n',
  );
  writeFileSync(
    join(migrations, '002_orders.sql'),
    '-- migrate:up\nCREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);\n',
  );
  log(`creating ${ENVS} databases on 2 clusters`);
  for (const c of clusters) await q(c.url('postgres'), 'CREATE EXTENSION pg_stat_statements');
  for (let i = 0; i < ENVS; i++) await q(clusterOf(i).url('postgres'), `CREATE DATABASE ${envName(i)}`);
  writeFileSync(join(dir, 'pgward.yaml'), project(false));
  // Two applied migrations in every environment (pgward migrate, a few at a time), then one pending.
  log('applying migrations');
  const running = new Set<Promise<void>>();
  for (let i = 0; i < ENVS; i++) {
    const p = new Promise<void>((resolve, reject) => {
      const m = spawn(process.execPath, [CLI, 'migrate', '--env', envName(i)], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      m.stderr!.on('data', (d) => {
        err += d;
      });
      m.on('exit', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`migrate ${envName(i)}: exit ${code}: ${err.slice(-1000)}`)),
      );
    }).finally(() => running.delete(p));
    running.add(p);
    if (running.size >= 4) await Promise.race(running);
  }
  await Promise.all(running);
  writeFileSync(join(migrations, '003_pending.sql'), '-- migrate:up\nCREATE TABLE pending (id int);\n');

  if (ONLY !== 'jobs') await scrapesWhileRefreshing();

  if (JOB_SECONDS > 0)
    for (let round = 0; round < JOB_ROUNDS; round++)
      for (const cli of JOB_CLIS) await jobsAcrossReplicas(cli);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  for (const c of clusters) c.stop();
  rmSync(dir, { recursive: true, force: true });
}
