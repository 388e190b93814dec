import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCluster } from './harness/cluster.js';
import { adminQuery, createTestDatabase } from './harness/db.js';

test('each test gets its own database on the shared throwaway cluster', async () => {
  const a = await createTestDatabase();
  const b = await createTestDatabase();
  assert.notEqual(a.name, b.name);
  await a.query('CREATE TABLE only_in_a (id int)');
  const rows = await b.query("SELECT to_regclass('only_in_a') AS t");
  assert.equal(rows[0]!.t, null);
});

test('a second, independent cluster can be started and stopped', async () => {
  const second = await startCluster();
  try {
    const rows = await adminQuery(second.url(), 'SELECT current_setting($1) AS port', ['port']);
    assert.equal(Number(rows[0]!.port), second.port);
  } finally {
    second.stop();
  }
  await assert.rejects(adminQuery(second.url(), 'SELECT 1'));
});
