// pgward recover: the newest drilled backup restored into a new database, validated, with the next step;
// --drill drops it and records the recovery time. Backups come from one cluster, recovery goes to another.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBackup, findBackup, openStorage, type Storage, verifyBackup } from '../src/backup/index.js';
import { fillRich, tableHashes } from './harness/clone-fixtures.js';
import { type Cluster, startCluster } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';

let prodCluster: Cluster;
let drCluster: Cluster;
let prod: TestDatabase;
let dir: string;
let storage: Storage;

before(async () => {
  [prodCluster, drCluster] = await Promise.all([startCluster(), startCluster()]);
  prod = await createTestDatabase(prodCluster);
  await fillRich(prod, 200);
  dir = makeProject({
    'pgward.yaml': `environments:\n  production:\n    url: ${prod.url}\nbackups:\n  storage: file://./backups\n`,
  });
  storage = await openStorage('file://./backups', { baseDir: dir, s3: {} });
});
after(() => {
  prodCluster?.stop();
  drCluster?.stop();
});

const recovered = async (c: Cluster) =>
  (
    await adminQuery(c.url('postgres'), "SELECT datname FROM pg_database WHERE datname LIKE '%_recovered_%'")
  ).map((r) => r.datname as string);

describe('recover', () => {
  it('refuses when no backup has passed a drill, then recovers the drilled one into a new database', async () => {
    // backups are taken and drilled through the backup library (its CLI is tested with it)
    const backup = () => createBackup({ url: prod.url, env: 'production', storage, reason: 'manual' });
    const id = (await backup()).id;
    const none = await runCli(['recover', '--env', 'production', '--server', drCluster.url('postgres')], {
      cwd: dir,
    });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /has passed a restore drill/);
    assert.match(none.stderr, new RegExp(`pgward backup verify ${id}`));

    const verified = await verifyBackup({ storage, ref: id, env: 'production', serverUrl: prod.url });
    assert.equal(verified.ok, true);
    // a newer, unverified backup must not be chosen
    await prod.query("INSERT INTO app.users (email) VALUES ('after-backup@x.example')");
    await backup();

    const r = await runCli(['recover', '--env', 'production', '--server', drCluster.url('postgres')], {
      cwd: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`recovered backup ${id}`));
    assert.match(
      r.stdout,
      /new database: postgresql:\/\/pgward_test:\*{5}@127\.0\.0\.1:\d+\/\w+_recovered_\d{8}_\d{6}/,
    );
    assert.match(r.stdout, /next: point the application at \w+_recovered_/);
    assert.ok(!r.stdout.includes('pgw-Secr3t') && !r.stderr.includes('pgw-Secr3t'));
    const [name] = await recovered(drCluster);
    assert.ok(name);
    const db: TestDatabase = {
      name: name!,
      url: drCluster.url(name!),
      cluster: drCluster,
      query: (sql, p) => adminQuery(drCluster.url(name!), sql, p) as never,
    };
    const users = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM app.users');
    assert.equal(users[0]!.n, 200, 'the drilled backup, not the newer one');
    await prod.query("DELETE FROM app.users WHERE email = 'after-backup@x.example'");
    await prod.query('DELETE FROM app.audit WHERE id > 200');
    const want = await tableHashes(prod);
    const got = await tableHashes(db);
    assert.deepEqual(Object.keys(got), Object.keys(want));
  });

  it('--drill restores, validates, drops and records the recovery time in the catalog', async () => {
    const before = await recovered(drCluster);
    const r = await runCli(
      ['recover', '--env', 'production', '--drill', '--server', drCluster.url('postgres'), '--json'],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.drill, true);
    assert.equal(doc.dropped, true);
    assert.deepEqual(await recovered(drCluster), before, 'nothing left behind');
    const manifest = (await findBackup(storage, doc.backup.id)) as Awaited<ReturnType<typeof findBackup>> & {
      recoveries: { drill: boolean; durationMs: number }[];
    };
    assert.equal(manifest.recoveries[0]!.drill, true);
    assert.equal(manifest.recoveries[0]!.durationMs, doc.durationMs);
    assert.match(manifest.verification!.into, /recover --drill/);
  });
});
