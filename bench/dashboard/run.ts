// bench/dashboard: how fast `pgward serve` answers its dashboard pages with a long history — 10,000 job
// runs in pgward.jobs and 1,000 backups in the catalog (one real backup, its manifest and archive
// copied under 999 more ids and dates) — and what the refresh that collects them costs.
//   npm run build && node --import tsx bench/dashboard/run.ts [--jobs 10000] [--backups 1000] [--requests 200]
// Pages are rendered from the refresh's snapshot; the refresh interval is 1 h, so every timed request
// is a page load alone (no refresh runs during the measurement).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ensureTables } from '../../src/serve/store.js';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { runCli } from '../../test/harness/project.js';
import { startServe } from '../../test/harness/serve.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '10000' },
    backups: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '200' },
  },
});
const JOBS = Number(values.jobs);
const BACKUPS = Number(values.backups);
const REQUESTS = Number(values.requests);
const TOKEN = 'bench-dashboard-token-0123456789';

function timedGet(url: string): Promise<{ ms: number; bytes: number; status: number }> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { authorization: `Bearer ${TOKEN}` }, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => {
          bytes += d.length;
        });
        res.on('end', () =>
          resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes, status: res.statusCode ?? 0 }),
        );
      })
      .on('error', reject);
  });
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

const cluster = await startCluster(process.platform === 'linux' ? { baseDir: '/dev/shm' } : {});
const work = mkdtempSync(join(tmpdir(), 'pgward-bench-dashboard-'));
let serve: Awaited<ReturnType<typeof startServe>> | undefined;
try {
  const url = cluster.url('postgres');
  await adminQuery(url, 'CREATE TABLE items (id bigint PRIMARY KEY, note text)');
  await adminQuery(url, "INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, 1000) g");
  writeFileSync(
    join(work, 'pgward.yaml'),
    `environments:\n  production:\n    url: ${url}\n    schedule:\n      backup: "0 3 * * *"\n      verify: "0 5 * * *"\nserve:\n  refresh_interval: 1h\nbackups:\n  storage: file://backups\n`,
  );
  const created = await runCli(['backup', 'create', '--env', 'production', '--json'], { cwd: work });
  if (created.code !== 0) throw new Error(created.stderr);
  // 1,000 backups: the real one's manifest and archive under new ids, an hour apart, sizes and times varied.
  const store = join(work, 'backups');
  const first = JSON.parse(created.stdout) as { id: string };
  const manifest = JSON.parse(readFileSync(join(store, `${first.id}.manifest.json`), 'utf8'));
  const t0 = Date.parse(manifest.startedAt);
  for (let i = 1; i < BACKUPS; i++) {
    const at = new Date(t0 - i * 3_600_000);
    const id = `${at.toISOString().replace(/[-:]/g, '').replace('.', '')}-${i.toString(16).padStart(6, '0')}`;
    const m = {
      ...manifest,
      id,
      startedAt: at.toISOString(),
      finishedAt: new Date(at.getTime() + 2000 + (i % 17) * 100).toISOString(),
      durationMs: 2000 + (i % 17) * 100,
      archive: { ...manifest.archive, key: `${id}.dump`, bytes: manifest.archive.bytes + i * 10 },
    };
    writeFileSync(join(store, `${id}.manifest.json`), JSON.stringify(m));
    copyFileSync(join(store, `${first.id}.dump`), join(store, `${id}.dump`));
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await ensureTables(c);
  await c.query(
    `INSERT INTO pgward.jobs (env, job, scheduled_for, started_at, finished_at, outcome, error, runner)
     SELECT 'production', CASE WHEN g % 2 = 0 THEN 'backup' ELSE 'verify' END,
            now() - g * interval '1 hour', now() - g * interval '1 hour',
            now() - g * interval '1 hour' + interval '4 seconds',
            CASE WHEN g % 50 = 0 THEN 'failed' ELSE 'ok' END,
            CASE WHEN g % 50 = 0 THEN 'pg_dump: error: connection to server lost' END, 'bench'
       FROM generate_series(1, $1) g`,
    [JOBS],
  );
  await c.end();

  const started = Date.now();
  serve = await startServe(work, ['--env', 'production', '--no-scheduler'], { PGWARD_SERVE_TOKEN: TOKEN });
  const health = JSON.parse(
    await new Promise<string>((resolve) =>
      http.get(`${serve!.url}/health`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        let b = '';
        res.on('data', (d) => {
          b += d;
        });
        res.on('end', () => resolve(b));
      }),
    ),
  );
  console.log(
    `${JOBS} job runs, ${BACKUPS} backups; serve started in ${Date.now() - started} ms, refresh took ${health.refresh.last_duration_ms} ms`,
  );
  console.log('| page | requests | median | p95 | max | size |');
  console.log('|---|---|---|---|---|---|');
  for (const path of [
    '/',
    '/env/production/jobs?page=100',
    '/env/production/backups?page=10',
    '/env/production/failures',
  ]) {
    await timedGet(`${serve.url}${path}`); // warm
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const r = await timedGet(`${serve.url}${path}`);
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
      times.push(r.ms);
      bytes = r.bytes;
    }
    console.log(
      `| \`${path}\` | ${REQUESTS} | ${pct(times, 0.5).toFixed(1)} ms | ${pct(times, 0.95).toFixed(1)} ms | ${Math.max(...times).toFixed(1)} ms | ${(bytes / 1024).toFixed(0)} KiB |`,
    );
  }
} finally {
  await serve?.stop();
  cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
