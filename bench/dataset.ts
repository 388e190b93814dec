// Reusable benchmark dataset (backup and clone benchmarks): pgbench tables plus an app-shaped schema
// with jsonb, text, numeric, timestamptz, arrays, foreign keys and a partitioned table. Sized by `scale`:
// scale 1 ≈ 1.1 GB on disk (pgbench -s 30 ≈ 450 MB + app tables ≈ 650 MB).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';

export interface DatasetOptions {
  /** Admin URL of the database to fill (must exist and be empty). */
  url: string;
  /** PostgreSQL bin directory holding pgbench. */
  binDir: string;
  scale?: number;
  log?: (line: string) => void;
}

export interface DatasetInfo {
  bytes: number;
  tables: number;
  seconds: number;
}

async function sql(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export async function generateDataset(o: DatasetOptions): Promise<DatasetInfo> {
  const t0 = Date.now();
  const s = o.scale ?? 1;
  const log = o.log ?? (() => {});
  const u = new URL(o.url);
  log(`pgbench -i -s ${Math.round(30 * s)}`);
  const r = spawnSync(
    join(o.binDir, 'pgbench'),
    [
      '-i',
      '-q',
      '-s',
      String(Math.round(30 * s)),
      '--foreign-keys',
      '-h',
      u.hostname,
      '-p',
      u.port || '5432',
      '-U',
      decodeURIComponent(u.username),
      decodeURIComponent(u.pathname.slice(1)),
    ],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) }, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`pgbench -i failed: ${r.stderr}`);
  const users = Math.round(400_000 * s);
  const orders = Math.round(1_200_000 * s);
  const events = Math.round(1_600_000 * s);
  log(`app schema: ${users} users, ${orders} orders, ${events} events`);
  const partitions = Array.from({ length: 12 }, (_, i) => {
    const from = `2025-${String(i + 1).padStart(2, '0')}-01`;
    const to = i === 11 ? '2026-01-01' : `2025-${String(i + 2).padStart(2, '0')}-01`;
    return `CREATE TABLE app.events_2025_${String(i + 1).padStart(2, '0')} PARTITION OF app.events FOR VALUES FROM ('${from}') TO ('${to}');`;
  }).join('\n');
  // Two statements run concurrently would be faster, but the machine has 2 cores and pgbench just used them.
  await sql(
    o.url,
    `
    CREATE SCHEMA app;
    CREATE TABLE app.users (
      id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, profile jsonb NOT NULL,
      tags text[] NOT NULL, balance numeric(14,2) NOT NULL, created_at timestamptz NOT NULL);
    CREATE TABLE app.orders (
      id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES app.users(id), status text NOT NULL,
      total numeric(12,2) NOT NULL, items jsonb NOT NULL, note text, placed_at timestamptz NOT NULL);
    CREATE TABLE app.events (
      id bigint NOT NULL, user_id bigint NOT NULL REFERENCES app.users(id), kind text NOT NULL,
      payload jsonb NOT NULL, occurred_at timestamptz NOT NULL, PRIMARY KEY (id, occurred_at))
      PARTITION BY RANGE (occurred_at);
    ${partitions}
    INSERT INTO app.users
      SELECT g, 'user' || g || '@example.com', initcap(md5(g::text)),
             jsonb_build_object('plan', (ARRAY['free','pro','team'])[1 + g % 3], 'score', g % 997,
                                'prefs', jsonb_build_object('tz', 'UTC', 'lang', (ARRAY['en','fr','de'])[1 + g % 3])),
             ARRAY['t' || (g % 17), 't' || (g % 31)], (g % 100000) / 100.0,
             '2020-01-01'::timestamptz + g * interval '37 seconds'
      FROM generate_series(1::bigint, ${users}) g;
    INSERT INTO app.orders
      SELECT g, 1 + (g * 7919) % ${users}, (ARRAY['new','paid','shipped','refunded'])[1 + g % 4], (g % 50000) / 100.0,
             jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (g % 5000), 'qty', 1 + g % 5),
                               jsonb_build_object('sku', 'SKU-' || (g % 777), 'qty', 1)),
             CASE WHEN g % 5 = 0 THEN repeat(md5(g::text), 2) END,
             '2023-01-01'::timestamptz + g * interval '13 seconds'
      FROM generate_series(1::bigint, ${orders}) g;
    INSERT INTO app.events
      SELECT g, 1 + (g * 104729) % ${users}, (ARRAY['login','view','click','purchase','logout'])[1 + g % 5],
             jsonb_build_object('path', '/p/' || (g % 10007), 'ua', md5((g % 1000)::text), 'ms', g % 3000),
             '2025-01-01'::timestamptz + (g % 31536000) * interval '1 second'
      FROM generate_series(1::bigint, ${events}) g;
    CREATE INDEX ON app.orders (user_id);
    CREATE INDEX ON app.orders (placed_at);
    CREATE INDEX ON app.events (user_id);
    CREATE INDEX ON app.users USING gin (tags);
  `,
  );
  await sql(o.url, 'VACUUM ANALYZE');
  const c = new pg.Client({ connectionString: o.url });
  await c.connect();
  const info = (
    await c.query<{ b: string; n: string }>(
      `SELECT pg_database_size(current_database())::text AS b,
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE relkind = 'r' AND nspname NOT IN ('pg_catalog', 'information_schema'))::text AS n`,
    )
  ).rows[0]!;
  await c.end();
  return { bytes: Number(info.b), tables: Number(info.n), seconds: (Date.now() - t0) / 1000 };
}
