// Prune on S3 with storage faults injected between the client and a real S3 server (s3rver): a
// forbidden, failing, hanging or truncated request never turns a backup into a "leftover", a failed
// listing deletes nothing, a failed delete is reported, and no key outside the prefix is touched.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { findBackup } from '../src/backup/catalog.js';
import { archiveKey, type BackupManifest, manifestKey } from '../src/backup/manifest.js';
import { pruneBackups } from '../src/backup/prune.js';
import { openStorage, type Storage } from '../src/backup/storage.js';
import { appDatabase, cliAsync, type S3Server, startS3 } from './harness/backup.js';
import { takeBackup } from './harness/catalog-fixtures.js';
import type { TestDatabase } from './harness/db.js';
import { type FaultProxy, startFaultProxy } from './harness/fault-proxy.js';

let s3: S3Server;
let proxy: FaultProxy;
let db: TestDatabase;
before(async () => {
  [s3, db] = await Promise.all([startS3(), appDatabase(40)]);
  proxy = await startFaultProxy(s3.endpoint);
});
after(async () => {
  await proxy?.close();
  await s3?.cleanup();
});
beforeEach(() => {
  proxy.rules = [];
});

const direct = (prefix: string): Promise<Storage> =>
  openStorage(`s3://${s3.bucket}/${prefix}`, {
    baseDir: '/',
    s3: { endpoint: s3.endpoint, forcePathStyle: true },
  });
const faulty = (prefix: string): Promise<Storage> =>
  openStorage(`s3://${s3.bucket}/${prefix}`, {
    baseDir: '/',
    s3: { endpoint: proxy.endpoint, forcePathStyle: true, requestTimeoutMs: 1000 },
  });
const objectPath = (prefix: string, key: string) =>
  new RegExp(`^/${s3.bucket}/${prefix}/${key.replace(/\./g, '\\.')}(\\?|$)`);
const present = async (s: Storage, key: string) => (await s.stat(key)) !== null;

test('invariant: prune on S3 keeps every archive whose manifest GET fails (403, 500, timeout, truncated)', async () => {
  const prefix = 'faults/get';
  const s = await direct(prefix);
  const forbidden = await takeBackup(db, s, { drill: true });
  const failing = await takeBackup(db, s, { pin: true });
  const hanging = await takeBackup(db, s);
  const truncated = await takeBackup(db, s);
  const plain = await takeBackup(db, s);
  const faults = [
    [forbidden, '403'],
    [failing, '500'],
    [hanging, 'timeout'],
    [truncated, 'truncate'],
  ] as const;
  proxy.rules = faults.map(([m, fault]) => ({
    method: 'GET',
    path: objectPath(prefix, manifestKey(m.id)),
    fault,
  }));
  const r = await pruneBackups({ storage: await faulty(prefix), rules: { keepLast: 0 }, leftoverGraceMs: 0 });
  assert.equal(r.ok, false);
  assert.deepEqual(r.errors.map((e) => e.key).sort(), faults.map(([m]) => manifestKey(m.id)).sort());
  assert.deepEqual(r.leftovers, [], 'an archive whose manifest could not be read is never a leftover');
  for (const [m, fault] of faults) {
    assert.ok(await present(s, archiveKey(m.id)), `${fault}: archive kept`);
    assert.ok(await present(s, manifestKey(m.id)), `${fault}: manifest kept`);
  }
  assert.deepEqual(r.deleted, [plain.id], 'what could be proven was still pruned');
  assert.ok(!(await present(s, archiveKey(plain.id))));
});

test('invariant: `backup prune` on S3 with a forbidden manifest exits 1, in JSON too, and deletes it not', async () => {
  const prefix = 'faults/cli';
  const s = await direct(prefix);
  const proven = await takeBackup(db, s, { drill: true });
  await takeBackup(db, s);
  proxy.rules = [{ method: 'GET', path: objectPath(prefix, manifestKey(proven.id)), fault: '403' }];
  const dir = mkdtempSync(join(tmpdir(), 'pgward-s3prune-'));
  writeFileSync(
    join(dir, 'pgward.yaml'),
    `backups:\n  storage: s3://${s3.bucket}/${prefix}\n  s3:\n    endpoint: ${proxy.endpoint}\n    force_path_style: true\n  retention:\n    keep_last: 0\n    leftover_grace: 0\n`,
  );
  for (const json of [true, false]) {
    const r = await cliAsync([
      '--config',
      join(dir, 'pgward.yaml'),
      'backup',
      'prune',
      ...(json ? ['--json'] : []),
    ]);
    assert.equal(r.code, 1, r.stderr);
    if (json) {
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.ok, false);
      assert.match(doc.errors[0].error, /HTTP 403/);
    } else assert.match(r.stderr, /prune incomplete/);
    assert.doesNotMatch(r.stdout + r.stderr, /S3RVER/, 'no credentials in output');
  }
  assert.ok(await present(s, archiveKey(proven.id)));
});

test('invariant: a failed S3 listing makes prune delete nothing', async () => {
  const prefix = 'faults/list';
  const s = await direct(prefix);
  await takeBackup(db, s);
  await takeBackup(db, s);
  const before = (await s.list()).map((o) => o.key).sort();
  for (const fault of ['403', '500', 'truncate'] as const) {
    proxy.rules = [{ method: 'GET', path: new RegExp(`^/${s3.bucket}/?\\?(.*&)?list-type=2`), fault }];
    await assert.rejects(
      pruneBackups({ storage: await faulty(prefix), rules: { keepLast: 0 }, leftoverGraceMs: 0 }),
    );
    proxy.rules = [];
    assert.deepEqual((await s.list()).map((o) => o.key).sort(), before, `${fault}: nothing deleted`);
  }
});

test('invariant: a failed S3 delete or re-check is reported and keeps what it concerned', async () => {
  const prefix = 'faults/delete';
  const s = await direct(prefix);
  const olderProven = await takeBackup(db, s, { drill: true });
  const newerProven = await takeBackup(db, s, { drill: true });
  const manifestDenied = await takeBackup(db, s);
  const archiveDenied = await takeBackup(db, s);
  proxy.rules = [
    { method: 'DELETE', path: objectPath(prefix, manifestKey(manifestDenied.id)), fault: '403' },
    { method: 'DELETE', path: objectPath(prefix, archiveKey(archiveDenied.id)), fault: '403' },
    // The backup that makes the older proven one redundant cannot be re-confirmed right before deleting.
    { method: 'HEAD', path: objectPath(prefix, archiveKey(newerProven.id)), fault: '500' },
  ];
  const r = await pruneBackups({ storage: await faulty(prefix), rules: { keepLast: 0 }, leftoverGraceMs: 0 });
  assert.equal(r.ok, false);
  assert.ok(await present(s, manifestKey(manifestDenied.id)), 'manifest delete failed: backup intact');
  assert.ok(await present(s, archiveKey(manifestDenied.id)), 'manifest delete failed: archive not touched');
  assert.ok(await present(s, archiveKey(archiveDenied.id)), 'archive delete failed: archive still there');
  assert.deepEqual(
    r.errors.map((e) => e.key).sort(),
    [manifestDenied.id, archiveDenied.id].map(manifestKey).sort(),
  );
  assert.deepEqual(
    r.skipped.map((x) => x.id),
    [olderProven.id],
    'the re-check failed: skipped, reported',
  );
  assert.ok(
    (await present(s, archiveKey(olderProven.id))) && (await present(s, manifestKey(olderProven.id))),
  );
  // Faults gone: the next prune finishes the job and the half-deleted backup's archive is a leftover.
  proxy.rules = [];
  const again = await pruneBackups({
    storage: await faulty(prefix),
    rules: { keepLast: 0 },
    leftoverGraceMs: 0,
  });
  assert.equal(again.ok, true, JSON.stringify(again.errors));
  assert.ok(again.leftovers.some((l) => l.key === archiveKey(archiveDenied.id) && l.removed));
  assert.ok(await present(s, archiveKey(newerProven.id)), 'the newest proven backup is never deleted');
});

test('invariant: S3 keys never leave the prefix; a manifest naming another key is not followed', async () => {
  const prefix = 'app/hostile';
  const s = await direct(prefix);
  const outside = await direct('app/outside');
  await outside.putText('x.dump', 'someone else');
  const m = await takeBackup(db, s);
  const hostile: BackupManifest = { ...m, archive: { ...m.archive, key: '../outside/x.dump' } };
  await s.putText(manifestKey(m.id), JSON.stringify(hostile));
  await assert.rejects(findBackup(s, m.id), /names archive "\.\.\/outside\/x\.dump".*not followed/);
  const r = await pruneBackups({ storage: s, rules: { keepLast: 0 }, leftoverGraceMs: 0 });
  assert.equal(r.ok, false);
  assert.ok(await present(outside, 'x.dump'), 'the object outside the prefix is untouched');
  assert.ok(await present(s, archiveKey(m.id)));
  await assert.rejects(s.getText('../outside/x.dump'), /not a pgward object name/);
});

/** A rule that runs `change` once, when prune first takes the catalog lease (after it made its plan). */
function atFirstDelete(prefix: string, change: () => Promise<void>) {
  let done = false;
  return {
    method: 'PUT',
    path: new RegExp(`^/${s3.bucket}/${prefix}/pgward-lease\\.`),
    fault: 'pass' as const,
    hook: async () => {
      if (done) return;
      done = true;
      await change();
    },
  };
}

test('invariant: a backup pinned or proven after prune made its plan is re-checked and not deleted', async () => {
  const prefix = 'recheck/pin';
  const s = await direct(prefix);
  const toPin = await takeBackup(db, s);
  const toProve = await takeBackup(db, s);
  proxy.rules = [
    atFirstDelete(prefix, async () => {
      await s.putText(manifestKey(toPin.id), JSON.stringify({ ...toPin, pinned: true }));
      const proven = await findBackup(s, toProve.id);
      const at = new Date().toISOString();
      const v = { at, durationMs: 1, ok: true, into: 'x', checks: { sha256: true, list: true, drill: true } };
      await s.putText(
        manifestKey(toProve.id),
        JSON.stringify({ ...proven, verification: { ...v, firstDifference: null, tablesChecked: 1 } }),
      );
    }),
  ];
  const r = await pruneBackups({ storage: await faulty(prefix), rules: { keepLast: 0 }, leftoverGraceMs: 0 });
  assert.deepEqual(r.deleted, [], JSON.stringify(r));
  assert.deepEqual(r.skipped.map((x) => x.id).sort(), [toPin.id, toProve.id].sort());
  for (const m of [toPin, toProve]) assert.ok(await present(s, archiveKey(m.id)));
});

test('invariant: the newest proven backup vanishing after the plan keeps the older proven one', async () => {
  const prefix = 'recheck/keeper';
  const s = await direct(prefix);
  const older = await takeBackup(db, s, { drill: true });
  const newer = await takeBackup(db, s, { drill: true });
  proxy.rules = [atFirstDelete(prefix, () => s.delete(archiveKey(newer.id)))];
  const r = await pruneBackups({ storage: await faulty(prefix), rules: { keepLast: 0 }, leftoverGraceMs: 0 });
  assert.deepEqual(r.deleted, []);
  assert.deepEqual(
    r.skipped.map((x) => x.id),
    [older.id],
  );
  assert.ok((await present(s, archiveKey(older.id))) && (await present(s, manifestKey(older.id))));
  // The next prune sees the phantom for what it is: the older backup is now the newest proven one.
  proxy.rules = [];
  const again = await pruneBackups({ storage: s, rules: { keepLast: 0 }, leftoverGraceMs: 0 });
  assert.deepEqual(again.deleted, [newer.id]);
  assert.ok(await present(s, archiveKey(older.id)));
});

test('invariant: create never publishes a manifest whose archive was removed meanwhile', async () => {
  const prefix = 'create/gone';
  const s = await direct(prefix);
  // Another pgward removes the archive as a leftover just as this backup is about to be published.
  let id = '';
  proxy.rules = [
    atFirstDelete(prefix, async () => {
      const archive = (await s.list()).find((o) => o.key.endsWith('.dump'));
      id = archive!.key.replace(/\.dump$/, '');
      await s.delete(archive!.key);
    }),
  ];
  await assert.rejects(
    takeBackup(db, await faulty(prefix)),
    /archive \S+\.dump of backup \S+ is gone .*manifest not written/,
  );
  assert.ok(id, 'the archive was removed at publish time');
  assert.equal(await present(s, manifestKey(id)), false, 'no manifest without its archive');
});
