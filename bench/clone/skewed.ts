// The skewed clone dataset: one table (`events`) holds ~90% of the rows and of the bytes, a handful of
// small tables the rest. A copier that gives each table one stream spends most of its time on one
// stream; splitting the big table into ranges keeps every job busy.
import pg from 'pg';

export interface SkewedOptions {
  /** Admin URL of the database to fill (must exist and be empty). */
  url: string;
  /** 1 ≈ 4,000,000 event rows, ~700 MB with indexes. */
  scale?: number;
  log?: (line: string) => void;
}

export async function generateSkewed(
  o: SkewedOptions,
): Promise<{ bytes: number; tables: number; seconds: number }> {
  const t0 = Date.now();
  const s = o.scale ?? 1;
  const events = Math.round(4_000_000 * s);
  const small = Math.max(1_000, Math.round(50_000 * s));
  const c = new pg.Client({ connectionString: o.url });
  await c.connect();
  try {
    o.log?.(`skewed dataset: events ${events} rows, 8 small tables of ${small} rows`);
    await c.query(`
      CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL);
      INSERT INTO accounts SELECT g, 'account ' || g, '2024-01-01'::timestamptz + g * interval '1 minute'
        FROM generate_series(1, ${small}) g;
      CREATE TABLE events (id bigint PRIMARY KEY, account_id int NOT NULL REFERENCES accounts,
        at timestamptz NOT NULL, kind text NOT NULL, amount numeric(12,2), payload jsonb);
      INSERT INTO events SELECT g, 1 + g % ${small}, '2024-01-01'::timestamptz + g * interval '1 second',
        (ARRAY['view','click','buy','refund'])[1 + g % 4], (g % 10000) / 100.0,
        jsonb_build_object('n', g, 'tag', md5(g::text)) FROM generate_series(1, ${events}) g;
      CREATE INDEX events_account ON events (account_id, at);`);
    for (let i = 1; i <= 7; i++)
      await c.query(`CREATE TABLE side_${i} (id int PRIMARY KEY, note text, at timestamptz);
        INSERT INTO side_${i} SELECT g, repeat(md5(g::text), 2), now() FROM generate_series(1, ${small}) g;`);
    await c.query('VACUUM ANALYZE');
    const r = await c.query<{ b: string }>('SELECT pg_database_size(current_database())::text AS b');
    return { bytes: Number(r.rows[0]!.b), tables: 9, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await c.end();
  }
}
