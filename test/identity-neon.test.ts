// Neon branches are physical copies: the same system identifier and the same database oids as their
// parent. What tells a branch from its parent is Neon's timeline (`neon.timeline_id`, set on every Neon
// compute). Here two real clusters, one a file copy of the other, each with its own timeline setting, are
// a parent and its branch: pgward must never take the branch for the parent, stamps inherited included.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { withClient } from '../src/db/connect.js';
import { readDatabaseIdentity, sameDatabase } from '../src/identity/database.js';
import { type Cluster, copyCluster, startCluster } from './harness/cluster.js';
import { adminQuery } from './harness/db.js';
import { makeProject, migration, runCli, writeFile } from './harness/project.js';

let parent: Cluster;
const copies: Cluster[] = [];
before(async () => {
  parent = await startCluster({ settings: { 'neon.timeline_id': "'tl-production'" } });
  await adminQuery(parent.url(), 'CREATE DATABASE app');
});
after(() => {
  for (const c of copies) c.stop();
  parent?.stop();
});

test('a branch has its parent’s system identifier and database oid but another timeline: another database', async () => {
  const branch = await copyCluster(parent, { 'neon.timeline_id': "'tl-branch'" });
  const sameTimeline = await copyCluster(parent, { 'neon.timeline_id': "'tl-production'" });
  copies.push(branch, sameTimeline);
  const identity = (c: Cluster) => withClient(c.url('app'), readDatabaseIdentity);
  const [p, b, s] = await Promise.all([identity(parent), identity(branch), identity(sameTimeline)]);
  assert.equal(b.systemId, p.systemId, 'a physical copy keeps the system identifier');
  assert.equal(b.databaseOid, p.databaseOid, 'and the database oid');
  assert.equal(p.timeline, 'tl-production');
  assert.equal(sameDatabase(p, b), false);
  assert.equal(sameDatabase(p, s), true, 'the same timeline through another endpoint is the same branch');
});

test('invariant: a Neon branch of production is never taken for production, even with production’s stamp inherited', async () => {
  const dir = makeProject({
    'pgward.yaml': `environments:
  production:
    url: \${PROD_URL}
  staging:
    url: \${STAGING_URL}
    policy:
      pause_seconds: 0
`,
    'db/migrations/20260101000000_items.sql': migration('CREATE TABLE items (id int);', 'DROP TABLE items;'),
  });
  const env: Record<string, string> = { PROD_URL: parent.url('app'), STAGING_URL: '' };
  const first = await runCli(['migrate', '--env', 'production'], { cwd: dir, env });
  assert.equal(first.code, 0, first.stderr);
  // The branch is taken after production was stamped: it inherits pgward.identity's production row.
  const branch = await copyCluster(parent, { 'neon.timeline_id': "'tl-staging'" });
  copies.push(branch);
  env.STAGING_URL = branch.url('app');
  const stamps = await adminQuery(branch.url('app'), 'SELECT environment FROM pgward.identity');
  assert.deepEqual(
    stamps.map((r) => r.environment),
    ['production'],
  );
  writeFile(dir, 'db/migrations/20260102000000_drop_items.sql', migration('DROP TABLE items;'));
  // Destructive: production's policy blocks it; staging's lets it through. The branch is staging.
  const onProduction = await runCli(['migrate', '--env', 'production'], { cwd: dir, env });
  assert.equal(onProduction.code, 6, onProduction.stderr);
  const onBranch = await runCli(['migrate', '--env', 'staging'], { cwd: dir, env });
  assert.equal(onBranch.code, 0, onBranch.stderr);
  assert.deepEqual(await adminQuery(branch.url('app'), "SELECT to_regclass('items') AS t"), [{ t: null }]);
  assert.deepEqual(await adminQuery(parent.url('app'), "SELECT to_regclass('items')::text AS t"), [
    { t: 'items' },
  ]);
});
