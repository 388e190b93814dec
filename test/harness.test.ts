import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverBinDir, startCluster } from './harness/cluster.js';
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

test('server binaries of another major: copied out of node_modules they still run; a missing major names the fix', () => {
  const bin = serverBinDir(13, { copy: true });
  assert.ok(bin.startsWith(tmpdir()), `copied into the temp dir, not the checkout: ${bin}`);
  assert.ok(
    lstatSync(join(bin, '..', 'lib', 'libicuuc.so.60')).isSymbolicLink(),
    'library symlinks restored',
  );
  const v = spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' });
  assert.match(v.stdout, /^postgres \(PostgreSQL\) 13\./);
  assert.ok(existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')));
  assert.throws(() => serverBinDir(12), /PostgreSQL 12 server binaries not installed: run `npm ci`/);
});
