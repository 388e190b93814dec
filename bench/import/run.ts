// Import benchmark: N Redis keys holding JSON documents (the seed's shape) imported into json_store by
// `pgward import --redis` and by the seed's approach (SCAN, then one GET and one INSERT … ON CONFLICT per
// key through node-postgres), each into a fresh database on one throwaway cluster, side by side. Prints
// both times, the ratio, and pgward's peak RSS (bounded: it streams batches, never the whole keyspace's
// values). pgward's time includes its validation pass and its proof pass (three reads of Redis).
//   npm run bench:import -- --keys 100000     (default 1,000,000)
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { startRedis } from '../../test/harness/redis.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'pgward.js');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const keys = Number(arg('--keys') ?? process.env.BENCH_KEYS ?? 1_000_000);
const log = (s: string) => process.stderr.write(`${s}\n`);
const TABLE =
  'CREATE TABLE json_store (kind text PRIMARY KEY, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())';

async function fill(redis: Redis): Promise<void> {
  const t = Date.now();
  for (let i = 0; i < keys; i += 10_000) {
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
async function runSeedApproach(url: string, redisUrl: string): Promise<number> {
  const t = process.hrtime.bigint();
  const redis = new Redis(redisUrl);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', 'bench:*', 'COUNT', 1000);
    cursor = next;
    for (const key of batch) {
      const value = await redis.get(key);
      if (value === null) continue;
      await client.query(
        'INSERT INTO json_store (kind, data, updated_at) VALUES ($1, $2::jsonb, now()) ON CONFLICT (kind) DO UPDATE SET data = EXCLUDED.data, updated_at = now()',
        [key, value],
      );
    }
  } while (cursor !== '0');
  await client.end();
  redis.disconnect();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const cluster = await startCluster();
const redis = await startRedis();
try {
  await fill(redis.client);
  for (const db of ['bench_pgward', 'bench_seed']) {
    await adminQuery(cluster.url(), `CREATE DATABASE ${db}`);
    await adminQuery(cluster.url(db), TABLE);
  }
  const pgw = await runPgward(cluster.url('bench_pgward'), redis.url);
  log(`pgward import: ${pgw.seconds.toFixed(1)}s, peak RSS ${(pgw.rssKb / 1024).toFixed(0)} MiB`);
  const seed = await runSeedApproach(cluster.url('bench_seed'), redis.url);
  log(`seed approach (one INSERT per key): ${seed.toFixed(1)}s`);
  const count = await adminQuery(cluster.url('bench_seed'), 'SELECT count(*)::int AS n FROM json_store');
  if (count[0]!.n !== keys) throw new Error(`seed approach wrote ${count[0]!.n} rows, not ${keys}`);
  process.stdout.write(
    `${JSON.stringify({ keys, pgwardSeconds: +pgw.seconds.toFixed(2), seedSeconds: +seed.toFixed(2), ratio: +(seed / pgw.seconds).toFixed(1), pgwardPeakRssMiB: Math.round(pgw.rssKb / 1024) })}\n`,
  );
} finally {
  await redis.stop();
  cluster.stop();
}
