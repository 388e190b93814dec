// serve's own tables (pgward.jobs, alerts, monitor_pending) are checked by one read and created only when
// something is missing. The promise: whatever is missing (a new database, a restored one without a
// table, a jobs table from before leases) is created, rows already there are kept, and replicas
// creating them at the same time do not fail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { ensureTables } from '../src/serve/store.js';
import { createTestDatabase } from './harness/db.js';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function present(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'pgward' AND c.relkind = 'r'
     UNION ALL
     SELECT 'jobs.lease_until' FROM pg_attribute
      WHERE attrelid = to_regclass('pgward.jobs') AND attname = 'lease_until' AND NOT attisdropped
     ORDER BY 1`,
  );
  return r.rows.map((x) => x.name);
}

const ALL = ['alerts', 'jobs', 'jobs.lease_until', 'monitor_pending'];

test('invariant: ensureTables creates whatever is missing and keeps the rows already there', async () => {
  const db = await createTestDatabase();
  await withClient(db.url, async (c) => {
    await ensureTables(c);
    assert.deepEqual(await present(c), ALL, 'a new database gets every table');
    await c.query(
      "INSERT INTO pgward.jobs (env, job, scheduled_for, outcome, runner) VALUES ('e', 'doctor', now(), 'ok', 'r')",
    );
    // A jobs table from before leases (every table there, one column missing).
    await c.query('ALTER TABLE pgward.jobs DROP COLUMN lease_until');
    await ensureTables(c);
    assert.deepEqual(await present(c), ALL, 'the lease column is back');
    // Each table lost on its own (a partial restore).
    for (const table of ['alerts', 'monitor_pending']) {
      await c.query(`DROP TABLE pgward.${table}`);
      await ensureTables(c);
      assert.deepEqual(await present(c), ALL, `${table} is back`);
    }
    const rows = await c.query('SELECT count(*)::int AS n FROM pgward.jobs');
    assert.equal(rows.rows[0].n, 1, 'the job history was kept');
    await c.query('DROP SCHEMA pgward CASCADE');
    await ensureTables(c);
    assert.deepEqual(await present(c), ALL, 'a database without the schema gets it back');
  });
});

test('invariant: replicas creating serve tables at the same moment all succeed, and the tables exist once', async () => {
  const db = await createTestDatabase();
  const clients = await Promise.all(
    Array.from({ length: 6 }, async () => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      return c;
    }),
  );
  try {
    await Promise.all(clients.map((c) => ensureTables(c)));
    assert.deepEqual(await present(clients[0]!), ALL);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
});
