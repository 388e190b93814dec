// bench/serve: load /health and /metrics of a real `pgward serve` for 20 s each with autocannon, count
// the database statements executed meanwhile (pg_stat_statements, plus pg_stat_database xact_commit),
// and time a /metrics scrape against prometheus-postgres-exporter on the same database.
//   npm run build && node --import tsx bench/serve/run.mjs [seconds=20] [connections=20]
// Needs: PostgreSQL server binaries, Debian prometheus-postgres-exporter (for the comparison).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, startCluster } from '../../test/harness/cluster.ts';

const seconds = Number(process.argv[2] ?? 20);
const connections = Number(process.argv[3] ?? 20);
const REFRESH = '1s';
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'pgward.js');

const cluster = await startCluster({ settings: { shared_preload_libraries: "'pg_stat_statements'" } });
const children = [];
// The project folder holds pgward.yaml with the cluster's URL (and its password): removed with the rest.
const dir = mkdtempSync(join(tmpdir(), 'pgward-bench-serve-'));
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);

try {
  const url = cluster.url('bench');
  const admin = new pg.Client({ connectionString: cluster.url('postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(`CREATE EXTENSION pg_stat_statements;
    CREATE TABLE customers (id bigserial PRIMARY KEY, name text, created_at timestamptz DEFAULT now());
    CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers, total numeric);
    CREATE INDEX ON orders (customer_id);
    INSERT INTO customers (name) SELECT 'c' || g FROM generate_series(1, 50000) g;
    INSERT INTO orders (customer_id, total) SELECT 1 + g % 50000, g FROM generate_series(1, 200000) g;
    ANALYZE;`);

  writeFileSync(
    join(dir, 'pgward.yaml'),
    `environments:\n  bench:\n    url: ${url}\nserve:\n  refresh_interval: ${REFRESH}\n`,
  );
  const port = await freePort();
  const serve = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--no-scheduler'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(serve);
  await new Promise((resolve, reject) => {
    let log = '';
    serve.stderr.on('data', (d) => {
      log += d;
      if (log.includes('listening on')) resolve();
    });
    serve.on('exit', (c) => reject(new Error(`serve exited ${c}: ${log}`)));
  });
  const base = `http://127.0.0.1:${port}`;

  const dbStatements = async () => {
    const r = await db.query(
      `SELECT coalesce(sum(calls), 0)::float8 AS calls FROM pg_stat_statements s
         JOIN pg_roles r ON r.oid = s.userid
        WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = 'bench')
          AND s.query NOT LIKE '%pg_stat_statements s%' AND s.query NOT LIKE '%pg_stat_database%'`,
    );
    const x = await db.query("SELECT xact_commit::float8 AS x FROM pg_stat_database WHERE datname = 'bench'");
    return { calls: r.rows[0].calls, xacts: x.rows[0].x };
  };
  const refreshes = async () => {
    const body = await (await fetch(`${base}/metrics`)).text();
    return Number(/^pgward_refreshes_total (\d+)/m.exec(body)?.[1] ?? 0);
  };

  const results = [];
  for (const path of ['/health', '/metrics']) {
    const before = await dbStatements();
    const r0 = await refreshes();
    const res = await autocannon({ url: base + path, connections, duration: seconds, pipelining: 1 });
    const r1 = await refreshes();
    await new Promise((r) => setTimeout(r, 1500)); // let backends flush pg_stat_database counters
    const after = await dbStatements();
    results.push({
      path,
      requests: res.requests.total,
      rps: Math.round(res.requests.average),
      p50: res.latency.p50,
      p99: res.latency.p99,
      non2xx: res.non2xx,
      errors: res.errors,
      refreshes: r1 - r0,
      statements: after.calls - before.calls,
      xacts: after.xacts - before.xacts,
    });
  }

  // One /metrics scrape: pgward (served from the last refresh), pgward's refresh itself, and postgres_exporter.
  const time = async (u, n = 20) => {
    const t = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const res = await fetch(u);
      await res.text();
      t.push(performance.now() - t0);
    }
    t.sort((a, b) => a - b);
    return { median: t[Math.floor(n / 2)], max: t[n - 1] };
  };
  const pgwardScrape = await time(`${base}/metrics`);
  const refreshBody = await (await fetch(`${base}/metrics`)).text();
  const refreshSeconds = Number(
    /^pgward_refresh_duration_seconds (\S+)/m.exec(refreshBody)?.[1] ?? Number.NaN,
  );

  let exporter = null;
  const exe = spawnSync('sh', ['-c', 'command -v prometheus-postgres-exporter'], {
    encoding: 'utf8',
  }).stdout.trim();
  if (exe) {
    const eport = await freePort();
    const ex = spawn(exe, [`--web.listen-address=127.0.0.1:${eport}`], {
      env: { ...process.env, DATA_SOURCE_NAME: `${url}?sslmode=disable` },
      stdio: 'ignore',
    });
    children.push(ex);
    const eurl = `http://127.0.0.1:${eport}/metrics`;
    for (let i = 0; i < 100; i++) {
      try {
        const body = await (await fetch(eurl)).text();
        if (/^pg_up 1/m.test(body)) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    exporter = await time(eurl);
  }

  const ms = (v) => `${v.toFixed(2)} ms`;
  console.log(
    `pgward serve bench: ${seconds} s per endpoint, ${connections} connections, refresh ${REFRESH}, ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} CPUs`,
  );
  console.log(
    'endpoint  requests  req/s  p50  p99  non-2xx  errors  refreshes  db statements  db xacts  requests per db statement',
  );
  for (const r of results)
    console.log(
      `${r.path.padEnd(9)} ${String(r.requests).padStart(8)}  ${r.rps}  ${r.p50} ms  ${r.p99} ms  ${r.non2xx}  ${r.errors}  ${r.refreshes}  ${r.statements}  ${r.xacts}  ${Math.round(r.requests / Math.max(1, r.statements))}`,
    );
  console.log(
    `statements per refresh: ${results.map((r) => (r.statements / Math.max(1, r.refreshes)).toFixed(1)).join(' / ')} (the same whatever the request rate)`,
  );
  console.log(
    `/metrics scrape, median of 20: pgward ${ms(pgwardScrape.median)} (max ${ms(pgwardScrape.max)}); pgward refresh behind it ${ms(refreshSeconds * 1000)}`,
  );
  console.log(
    exporter
      ? `/metrics scrape, median of 20: postgres_exporter ${ms(exporter.median)} (max ${ms(exporter.max)})`
      : 'postgres_exporter not installed: apt-get install -y prometheus-postgres-exporter',
  );
  await db.end();
} finally {
  cleanup();
}
