// Concurrent commands cannot corrupt the catalog: manifest writes go through the catalog lease, and
// verify racing prune (real processes) never leaves a manifest without its archive, never re-creates a
// pruned manifest, and never costs the last proven backup.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCatalog } from '../src/backup/catalog.js';
import { acquireLease } from '../src/backup/lease.js';
import { archiveKey, manifestKey } from '../src/backup/manifest.js';
import { drillPassed } from '../src/backup/retention.js';
import { openStorage, type Storage } from '../src/backup/storage.js';
import { ExitCode } from '../src/errors.js';
import { appDatabase, type S3Server, startS3, tempDir } from './harness/backup.js';
import { catalogProject, takeBackup } from './harness/catalog-fixtures.js';
import type { TestDatabase } from './harness/db.js';
import { runCli } from './harness/project.js';

let db: TestDatabase;
let s3: S3Server;
before(async () => {
  [db, s3] = await Promise.all([appDatabase(40), startS3()]);
});
after(async () => s3?.cleanup());

const WRITER = join(import.meta.dirname, 'harness', 'lease-writer.ts');

function writer(url: string, endpoint: string, id: string, tag: string, n: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, url, endpoint, id, tag, String(n)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function noLostUpdates(storage: Storage, url: string, endpoint: string): Promise<void> {
  const m = await takeBackup(db, storage);
  const codes = await Promise.all(['a', 'b', 'c', 'd'].map((t) => writer(url, endpoint, m.id, t, 4)));
  assert.deepEqual(codes, [0, 0, 0, 0]);
  const cat = await readCatalog(storage);
  const labels = cat.backups.find((b) => b.id === m.id)!.labels;
  assert.equal(labels.length, 16, `every update kept: ${labels.join(',')}`);
  assert.ok(
    (await storage.list()).every((o) => !o.key.startsWith('pgward-lease.')),
    'no lease object left behind',
  );
}

test('invariant: concurrent manifest writers never lose an update (file://, catalog lease)', async () => {
  const store = tempDir('pgward-bk-lease-');
  try {
    await noLostUpdates(await openStorage(store.url, { baseDir: '/' }), store.url, '-');
  } finally {
    store.cleanup();
  }
});

test('invariant: concurrent manifest writers never lose an update (s3://, catalog lease)', async () => {
  const url = `s3://${s3.bucket}/lease`;
  const storage = await openStorage(url, {
    baseDir: '/',
    s3: { endpoint: s3.endpoint, forcePathStyle: true },
  });
  await noLostUpdates(storage, url, s3.endpoint);
});

test('invariant: a stale lease is taken over; a live one makes others wait, then fail as busy', async () => {
  const store = tempDir('pgward-bk-stale-');
  try {
    const storage = await openStorage(store.url, { baseDir: '/' });
    const stale = `pgward-lease.${Date.now() - 1000}.aaaaaaaaaaaa`;
    await storage.putText(stale, '{}');
    const lease = await acquireLease(storage, 'test', { waitMs: 2000 });
    assert.ok(!existsSync(join(store.dir, stale)), 'the expired lease was removed');
    await assert.rejects(
      acquireLease(storage, 'rival', { waitMs: 300 }),
      (err: Error & { exitCode?: number }) => {
        assert.match(err.message, /catalog .* is busy/);
        assert.equal(err.exitCode, ExitCode.lockBusy);
        return true;
      },
    );
    await lease.release();
    const again = await acquireLease(storage, 'after', { waitMs: 2000 });
    await again.release();
    assert.deepEqual(readdirSync(store.dir), []);
  } finally {
    store.cleanup();
  }
});

/** The invariants that must hold whatever the interleaving of verify and prune. */
async function assertCatalogSound(storage: Storage, dir: string, label: string): Promise<void> {
  const cat = await readCatalog(storage);
  for (const m of cat.backups) {
    assert.ok(existsSync(join(dir, archiveKey(m.id))), `${label}: manifest ${m.id} has its archive`);
  }
  assert.deepEqual(cat.unreadable, [], label);
  const proven = cat.backups.filter((m) => drillPassed(m) && existsSync(join(dir, archiveKey(m.id))));
  assert.ok(proven.length >= 1, `${label}: a proven backup with its archive remains`);
}

test('invariant: verify racing prune never re-creates a pruned manifest nor costs the proven backup', async (t) => {
  for (const delay of [0, 150, 400, 900, 2500, 5000]) {
    const p = await catalogProject(db, '    keep_last: 0');
    const old = await takeBackup(db, p.storage, { drill: true });
    const fresh = await takeBackup(db, p.storage);
    const verifying = runCli(['backup', 'verify', fresh.id, '--json'], { cwd: p.dir });
    await new Promise((r) => setTimeout(r, delay));
    const pruning = runCli(['backup', 'prune', '--json', '--leftover-grace', '0'], { cwd: p.dir });
    const [v, pr] = await Promise.all([verifying, pruning]);
    const label = `prune ${delay} ms after verify (verify exit ${v.code}, prune exit ${pr.code})`;
    t.diagnostic(label);
    assert.equal(pr.code, 0, `${label}: ${pr.stderr}`);
    const freshManifest = existsSync(join(p.storageDir, manifestKey(fresh.id)));
    if (v.code === 0) {
      assert.ok(freshManifest, `${label}: a recorded drill belongs to a backup that still exists`);
    } else {
      // Pruned before verify read it (no such backup, exit 2) or while it ran (exit 1): never recorded.
      const why = v.code === 2 ? `no backup "${fresh.id}"` : `backup ${fresh.id} was pruned while verifying`;
      assert.ok(v.stderr.includes(why), `${label}: ${v.stderr}`);
      assert.ok(!freshManifest, `${label}: the pruned manifest was not re-created`);
    }
    if (!existsSync(join(p.storageDir, manifestKey(old.id)))) {
      assert.ok(
        freshManifest && v.code === 0,
        `${label}: the old proven backup went only for a newer proven one`,
      );
    }
    await assertCatalogSound(p.storage, p.storageDir, label);
    // The next prune must not make it worse (the phantom-keeps-itself failure).
    const again = await runCli(['backup', 'prune', '--json', '--leftover-grace', '0'], { cwd: p.dir });
    assert.equal(again.code, 0, again.stderr);
    await assertCatalogSound(p.storage, p.storageDir, `${label}, then prune again`);
  }
});
