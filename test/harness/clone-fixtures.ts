// Shared by the clone, rehearse and recover tests: an app-shaped schema with every kind of object a clone
// must carry, and helpers to compare two databases.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type Cluster, TEST_PASSWORD } from './cluster.js';
import type { TestDatabase } from './db.js';

export const RICH_SCHEMA = `
  CREATE SCHEMA app;
  CREATE TYPE app.mood AS ENUM ('happy', 'sad', 'meh');
  CREATE SEQUENCE app.ticket_seq START 100;
  CREATE TABLE app.users (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text,
    mood app.mood DEFAULT 'meh',
    profile jsonb,
    bio text,
    created_at timestamptz NOT NULL DEFAULT now(),
    name_len int GENERATED ALWAYS AS (length(name)) STORED
  );
  CREATE TABLE app.orders (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES app.users(id),
    email text NOT NULL,
    ticket bigint DEFAULT nextval('app.ticket_seq'),
    total numeric(12,2) CHECK (total >= 0),
    ratio float8,
    note varchar(200)
  );
  CREATE INDEX orders_user_idx ON app.orders (user_id);
  CREATE INDEX orders_email_lower_idx ON app.orders (lower(email));
  CREATE UNIQUE INDEX orders_ticket_uq ON app.orders (ticket) WHERE ticket IS NOT NULL;
  CREATE TABLE app.events (id bigint NOT NULL, at date NOT NULL, payload jsonb) PARTITION BY RANGE (at);
  CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE INDEX events_at_idx ON app.events (at);
  ALTER TABLE app.events ADD PRIMARY KEY (id, at);
  CREATE TABLE app."Odd ""Name""" (k int PRIMARY KEY, v text);
  CREATE TABLE app.audit (id bigserial PRIMARY KEY, what text, at timestamptz DEFAULT now());
  CREATE FUNCTION app.audit_user() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO app.audit (what) VALUES ('user ' || NEW.id); RETURN NEW; END $$;
  CREATE TRIGGER users_audit AFTER INSERT ON app.users FOR EACH ROW EXECUTE FUNCTION app.audit_user();
  CREATE VIEW app.user_totals AS
    SELECT u.id, u.email, sum(o.total) AS total FROM app.users u LEFT JOIN app.orders o ON o.user_id = u.id GROUP BY u.id;
  CREATE MATERIALIZED VIEW app.mood_counts AS SELECT mood, count(*) AS n FROM app.users GROUP BY mood;
  COMMENT ON TABLE app.users IS 'people';
`;

export async function fillRich(db: TestDatabase, users = 300): Promise<void> {
  await db.query(RICH_SCHEMA);
  await db.query(`
    INSERT INTO app.users (email, name, mood, profile, bio)
      SELECT 'person' || g || '@corp.example', 'Person ' || g, (ARRAY['happy','sad','meh'])[1 + g % 3]::app.mood,
             jsonb_build_object('n', g, 'tags', jsonb_build_array('a', g)), CASE WHEN g % 50 = 0 THEN repeat(md5(g::text), 4000) END
      FROM generate_series(1, ${users}) g;
    INSERT INTO app.orders (user_id, email, total, ratio, note)
      SELECT 1 + g % ${users}, 'person' || (1 + g % ${users}) || '@corp.example', g * 1.25, g / 7.0, 'n' || g
      FROM generate_series(1, ${users * 3}) g;
    INSERT INTO app.events SELECT g, '2024-01-01'::date + (g % 700), jsonb_build_object('g', g) FROM generate_series(1, ${users * 2}) g;
    INSERT INTO app."Odd ""Name""" VALUES (1, 'x'), (2, E'tab\\there and \\\\ backslash');
    REFRESH MATERIALIZED VIEW app.mood_counts;
    SELECT setval('app.ticket_seq', 5000);
  `);
}

/** pg_dump --schema-only of a database, with comments, SET lines and psql meta-commands removed. */
export function schemaDump(cluster: Cluster, database: string): string {
  const r = spawnSync(
    join(cluster.binDir, 'pg_dump'),
    [
      '--schema-only',
      '--no-owner',
      '--no-privileges',
      `--dbname=${cluster.url(database).replace(`:${encodeURIComponent(TEST_PASSWORD)}`, '')}`,
    ],
    { encoding: 'utf8', env: { ...process.env, PGPASSWORD: TEST_PASSWORD } },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout
    .split('\n')
    .filter(
      (l) =>
        l.trim() &&
        !l.startsWith('--') &&
        !l.startsWith('\\') &&
        !l.startsWith('SET ') &&
        !l.startsWith('SELECT pg_catalog.set_config'),
    )
    .join('\n');
}

/** Per-table row count and content hash, ordered by table. */
export async function tableHashes(
  db: TestDatabase,
  exclude: Record<string, string[]> = {},
): Promise<Record<string, string>> {
  const tables = await db.query<{ s: string; t: string }>(
    `SELECT n.nspname AS s, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname = 'app' ORDER BY 1, 2`,
  );
  const out: Record<string, string> = {};
  for (const { s, t } of tables) {
    const cols = (
      await db.query<{ a: string }>(
        `SELECT quote_ident(attname) AS a FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [`"${s}"."${t.replace(/"/g, '""')}"`],
      )
    )
      .map((r) => r.a)
      .filter((a) => !(exclude[t] ?? []).includes(a));
    const [row] = await db.query<{ n: string; h: string }>(
      `SELECT count(*)::text AS n, coalesce(sum(hashtextextended(ROW(${cols.join(', ')})::text, 0)::numeric), 0)::text AS h FROM "${s}"."${t.replace(/"/g, '""')}"`,
    );
    out[`${s}.${t}`] = `${row!.n}:${row!.h}`;
  }
  return out;
}
