// The import's faster write and proof paths keep its guarantees: batches written on two connections
// commit strictly in order (a failed or unfinished earlier batch means no later one commits), a plain
// insert that meets an existing key is undone and the batch upserted, and the whole-table proof falls
// back to the keyed proof when the table holds other rows — and still catches a row that differs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { importData } from '../src/import/import.js';
import { OrderedTransactions } from '../src/import/ordered.js';
import { RedisSource } from '../src/import/source-redis.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { type RedisServer, startRedis } from './harness/redis.js';

const TABLE =
  'CREATE TABLE json_store (kind text PRIMARY KEY, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())';

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

async function clients(db: TestDatabase, n: number): Promise<pg.Client[]> {
  const out: pg.Client[] = [];
  for (let i = 0; i < n; i++) {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    out.push(c);
  }
  return out;
}

async function seedKeys(prefix: string, n: number): Promise<void> {
  const p = redis.client.pipeline();
  for (let i = 0; i < n; i++) p.set(`${prefix}:${i}`, JSON.stringify({ i, name: `item ${i}` }));
  await p.exec();
}

const importKeys = (db: TestDatabase, prefix: string) =>
  importData({
    source: new RedisSource({ url: redis.url, pattern: `${prefix}:*`, scanCount: 50 }),
    url: db.url,
    batchSize: 40,
    writers: 2,
  });

describe('import write paths', () => {
  it('invariant: ordered batches never commit after an earlier batch that is slower or failed', async () => {
    const db = await createTestDatabase();
    await db.query('CREATE TABLE log (batch text, at timestamptz DEFAULT clock_timestamp())');
    const [a, b] = await clients(db, 2);
    try {
      const committed: string[] = [];
      const batch = (name: string, work: string) => ({
        work: async (c: pg.Client) => {
          await c.query(work);
          return name;
        },
        checkpoint: async (c: pg.Client, n: string) => {
          await c.query('INSERT INTO log (batch) VALUES ($1)', [n]);
        },
        committed: (n: string) => {
          committed.push(n);
        },
      });
      const slowFirst = new OrderedTransactions([a!, b!]);
      await slowFirst.submit(batch('first', 'SELECT pg_sleep(0.6)'));
      await slowFirst.submit(batch('second', 'SELECT 1'));
      await slowFirst.drain();
      assert.deepEqual(committed, ['first', 'second'], 'the quick second batch waited for the first');
      const log = await db.query<{ batch: string }>('SELECT batch FROM log ORDER BY at');
      assert.deepEqual(
        log.map((r) => r.batch),
        ['first', 'second'],
      );

      committed.length = 0;
      const failingFirst = new OrderedTransactions([a!, b!]);
      await failingFirst.submit(batch('broken', 'SELECT pg_sleep(0.3), 1/0'));
      await failingFirst.submit(batch('after', 'SELECT 1'));
      await assert.rejects(failingFirst.drain(), /division by zero/);
      assert.deepEqual(committed, [], 'nothing after a failed batch commits');
      const rows = await db.query<{ batch: string }>(
        "SELECT batch FROM log WHERE batch IN ('broken', 'after')",
      );
      assert.deepEqual(rows, []);
      // both connections are usable again (no transaction left open)
      assert.equal((await a!.query('SELECT 1 AS x')).rows[0].x, 1);
      assert.equal((await b!.query('SELECT 1 AS x')).rows[0].x, 1);
    } finally {
      await a!.end();
      await b!.end();
    }
  });

  it('a batch that meets existing keys is upserted: new rows inserted, changed ones updated, equal ones untouched', async () => {
    await seedKeys('mixed', 250);
    const db = await createTestDatabase();
    await db.query(TABLE);
    await db.query(
      `INSERT INTO json_store (kind, data, updated_at) VALUES
         ('mixed:7', '{"i": 7, "name": "item 7"}', '2020-01-01'),
         ('mixed:8', '{"i": 8, "name": "stale"}', '2020-01-01')`,
    );
    const r = await importKeys(db, 'mixed');
    assert.equal(r.status, 'imported');
    assert.deepEqual(
      { inserted: r.written.inserted, updated: r.written.updated, unchanged: r.written.unchanged },
      { inserted: 248, updated: 1, unchanged: 1 },
    );
    const rows = await db.query<{ kind: string; name: string; old: boolean }>(
      "SELECT kind, data->>'name' AS name, updated_at < '2021-01-01' AS old FROM json_store WHERE kind IN ('mixed:7', 'mixed:8') ORDER BY kind",
    );
    assert.deepEqual(rows, [
      { kind: 'mixed:7', name: 'item 7', old: true },
      { kind: 'mixed:8', name: 'item 8', old: false },
    ]);
    assert.equal(r.proof?.match, true);
  });

  it('the proof holds with other rows in the table, and still catches a row that differs', async () => {
    await seedKeys('many', 150);
    const db = await createTestDatabase();
    await db.query(TABLE);
    await db.query(
      "INSERT INTO json_store (kind, data) SELECT 'other:' || g, '{}' FROM generate_series(1, 20) g",
    );
    const ok = await importKeys(db, 'many');
    assert.equal(ok.status, 'imported');
    assert.equal(ok.proof?.total.sourceCount, 150);
    assert.equal(ok.proof?.total.targetCount, 150, 'the other rows are not counted');

    const tampered = await createTestDatabase();
    await tampered.query(TABLE);
    await tampered.query(`CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.kind = 'many:42' THEN NEW.data := NEW.data || '{"tampered": true}'; END IF; RETURN NEW; END $$`);
    await tampered.query(
      'CREATE TRIGGER tamper BEFORE INSERT OR UPDATE ON json_store FOR EACH ROW EXECUTE FUNCTION tamper()',
    );
    const bad = await importKeys(tampered, 'many');
    assert.equal(bad.status, 'mismatch');
    assert.deepEqual(
      bad.proof?.mismatches.map((m) => m.kind),
      ['many:42'],
    );
  });

  it('invariant: a record PostgreSQL refuses stops the import before anything is written, naming its key, and leaves no staging table', async () => {
    await seedKeys('nul', 250);
    // JSON.parse accepts \u0000 in a string; jsonb does not
    await redis.client.set('nul:77', '{"i": 77, "name": "bad \\u0000 byte"}');
    const db = await createTestDatabase();
    await db.query(TABLE);
    await assert.rejects(importKeys(db, 'nul'), (err: Error) => {
      assert.match(err.message, /PostgreSQL refuses the record nul:77: .*unsupported Unicode escape/);
      return true;
    });
    assert.deepEqual(await db.query('SELECT kind FROM json_store'), []);
    assert.deepEqual(await db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'pgward'"), []);
    const staging = await db.query(
      "SELECT relname FROM pg_class WHERE relname LIKE 'pgward_import_stage%' AND relpersistence = 't'",
    );
    assert.deepEqual(staging, []);
  });
});
