// Import benchmark: N Redis keys holding JSON documents (the seed's shape) imported into json_store by
// `pgward import --redis` and by the seed's approach (SCAN, then one GET and one INSERT … ON CONFLICT per
// key through node-postgres), each into a fresh database on one throwaway cluster, side by side. Prints
// both times, the ratio, and pgward's peak RSS. pgward's time is the whole command: its one read of Redis
// (validation, hashing, spilling to a local file), the batched writes, and the proof (one scan of the
// table). Several sizes (`--keys 100000,1000000`) print one line each, so RSS at each size shows whether
// memory grows with the key count.
//   npm run bench:import -- --keys 100000               (default 1,000,000)
//   npm run bench:import -- --keys 100000,1000000 --seed-keys 200000
//     (--seed-keys: run the seed's approach at that size only and scale its time linearly: it is one
//      round trip pair per key, so its time is proportional to the key count)
//   npm run bench:import -- --keys 1000000 --seed-keys 20000 --one-way-ms 1
//     (--one-way-ms: both tools reach PostgreSQL and Redis through a proxy that delays every chunk by that
//      many whole milliseconds each way (Node's timers: 1 ms at least) — a network with twice that round
//      trip, as between an app's runner and a managed database; the seed's time is then round-trip bound,
//      so --seed-keys with scaling is accurate)
//   BENCH_NODE_ARGS=--cpu-prof npm run bench:import -- --keys 100000   (profile the pgward process)
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { startRedis } from '../../test/harness/redis.js';
import { startTcpProxy } from '../../test/harness/tcp-proxy.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'pgward.js');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const sizes = String(arg('--keys') ?? process.env.BENCH_KEYS ?? 1_000_000)
  .split(',')
  .map(Number);
const seedKeys = arg('--seed-keys') ? Number(arg('--seed-keys')) : undefined;
const oneWayMs = Math.max(0, Math.round(Number(arg('--one-way-ms') ?? 0)));
const rttMs = 2 * oneWayMs;
let keys = 0;
const log = (s: string) => process.stderr.write(`${s}\n`);
const TABLE =
  'CREATE TABLE json_store (kind text PRIMARY KEY, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())';

async function fill(redis: Redis, from: number): Promise<void> {
  const t = Date.now();
  for (let i = from; i < keys; i += 10_000) {
    const p = redis.pipeline();
    for (let k = i; k < Math.min(keys, i + 10_000); k++)
      p.set(
        `bench:${k}`,
        JSON.stringify({
          automation_enabled: k % 2 === 0,
          poll_interval_seconds: 15 + (k % 60),
          device: `hub-${k}`,
          thresholds: { min: 18.5, max: 24 },
        }),
      );
    await p.exec();
  }
  log(`redis: ${keys} keys written in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

async function runPgward(url: string, redisUrl: string): Promise<{ seconds: number; rssKb: number }> {
  const t = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      '--import',
      join(import.meta.dirname, 'rss.mjs'),
      CLI,
      'import',
      '--redis',
      redisUrl,
      '--pattern',
      'bench:*',
      '--url',
      url,
      '--json',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (code !== 0) throw new Error(`pgward import failed (${code}): ${err.slice(-2000)}`);
  const doc = JSON.parse(out);
  if (!doc.proof?.match || doc.written.inserted !== keys)
    throw new Error(`pgward import: unexpected report ${out.slice(0, 500)}`);
  return { seconds, rssKb: Number(/BENCH_MAX_RSS_KB=(\d+)/.exec(err)?.[1] ?? 0) };
}

/** The seed's approach: SCAN, then per key a GET and one INSERT through a client, awaited in turn. */
async function runSeedApproach(url: string, redisUrl: string, limit: number): Promise<number> {
  const t = process.hrtime.bigint();
  const redis = new Redis(redisUrl);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let cursor = '0';
  let done = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', 'bench:*', 'COUNT', 1000);
    cursor = next;
    for (const key of batch) {
      if (done++ >= limit) break;
      const value = await redis.get(key);
      if (value === null) continue;
      await client.query(
        'INSERT INTO json_store (kind, data, updated_at) VALUES ($1, $2::jsonb, now()) ON CONFLICT (kind) DO UPDATE SET data = EXCLUDED.data, updated_at = now()',
        [key, value],
      );
    }
  } while (cursor !== '0' && done < limit);
  await client.end();
  redis.disconnect();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const cluster = await startCluster();
const redis = await startRedis();
// with --one-way-ms, both tools connect through delaying proxies (the fill and the checks do not)
const pgProxy = oneWayMs ? await startTcpProxy(cluster.port, '127.0.0.1', { delayMs: oneWayMs }) : undefined;
const redisProxy = oneWayMs ? await startTcpProxy(redis.port, '127.0.0.1', { delayMs: oneWayMs }) : undefined;
const pgUrl = (db: string) => pgProxy?.url(db) ?? cluster.url(db);
const redisUrl = redisProxy ? `redis://127.0.0.1:${redisProxy.port}` : redis.url;
if (rttMs) log(`network: ${rttMs} ms round trip to PostgreSQL and to Redis (delaying proxies)`);
try {
  const rows: unknown[] = [];
  for (const size of sizes) {
    const from = keys;
    keys = size;
    await fill(redis.client, from);
    const db = `bench_pgward_${size}`;
    await adminQuery(cluster.url(), `CREATE DATABASE ${db}`);
    await adminQuery(cluster.url(db), TABLE);
    const pgw = await runPgward(pgUrl(db), redisUrl);
    log(
      `pgward import, ${size} keys: ${pgw.seconds.toFixed(1)}s, peak RSS ${(pgw.rssKb / 1024).toFixed(0)} MiB`,
    );
    const seedSize = Math.min(seedKeys ?? size, size);
    const sdb = `bench_seed_${size}`;
    await adminQuery(cluster.url(), `CREATE DATABASE ${sdb}`);
    await adminQuery(cluster.url(sdb), TABLE);
    // the seed's approach over all the keys, or over the first seedSize that SCAN returns
    const seedMeasured = await runSeedApproach(pgUrl(sdb), redisUrl, seedSize);
    const count = await adminQuery(cluster.url(sdb), 'SELECT count(*)::int AS n FROM json_store');
    if (count[0]!.n !== seedSize) throw new Error(`seed approach wrote ${count[0]!.n} rows, not ${seedSize}`);
    const seed = (seedMeasured * size) / seedSize;
    log(
      `seed approach (one INSERT per key): ${seedMeasured.toFixed(1)}s for ${seedSize} keys${seedSize === size ? '' : `, scaled to ${size}: ${seed.toFixed(0)}s`}`,
    );
    const row = {
      keys: size,
      rttMs,
      pgwardSeconds: +pgw.seconds.toFixed(2),
      seedSeconds: +seed.toFixed(2),
      seedMeasuredKeys: seedSize,
      ratio: +(seed / pgw.seconds).toFixed(1),
      pgwardPeakRssMiB: Math.round(pgw.rssKb / 1024),
    };
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
} finally {
  await pgProxy?.close();
  await redisProxy?.close();
  await redis.stop();
  cluster.stop();
}
