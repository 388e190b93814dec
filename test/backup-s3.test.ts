// S3 storage against a real S3-compatible server (s3rver over HTTP on loopback), path-style, with a
// fixed 5 MiB multipart part size; and the server going away in the middle of an upload.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readCatalog } from '../src/backup/catalog.js';
import { createBackup } from '../src/backup/create.js';
import { restoreBackup } from '../src/backup/restore.js';
import { openStorage, type Storage } from '../src/backup/storage.js';
import { verifyBackup } from '../src/backup/verify.js';
import { addBulk, appDatabase, cliAsync, type S3Server, startS3 } from './harness/backup.js';
import { adminQuery, type TestDatabase } from './harness/db.js';

let s3: S3Server;
let db: TestDatabase;
before(async () => {
  s3 = await startS3();
  db = await appDatabase(300);
  await addBulk(db, 400_000); // > 3 parts of 5 MiB once compressed
});
after(async () => s3?.cleanup());

const open = (prefix: string): Promise<Storage> =>
  openStorage(`s3://${s3.bucket}/${prefix}`, {
    baseDir: '/',
    s3: { endpoint: s3.endpoint, forcePathStyle: true, partSize: 5 * 1024 * 1024 },
  });

test('S3: multipart create, list, verify drill and restore through a real S3-compatible server', async () => {
  const storage = await open('app/prod');
  const m = await createBackup({ url: db.url, env: 'prod', storage });
  assert.ok(m.archive.bytes > 10 * 1024 * 1024, `archive spans several parts (${m.archive.bytes} bytes)`);
  const cat = await readCatalog(storage);
  assert.deepEqual(
    cat.backups.map((b) => b.id),
    [m.id],
  );
  const v = await verifyBackup({ storage, ref: 'latest', env: 'prod', serverUrl: db.url });
  assert.equal(v.ok, true, v.firstDifference ?? '');
  const r = await restoreBackup({ storage, ref: m.id, targetUrl: db.url, create: `${db.name}_s3` });
  assert.equal(
    r.rows,
    m.tables.reduce((n, t) => n + t.rows, 0),
  );
  const bulk = await adminQuery(db.cluster.url(`${db.name}_s3`), 'SELECT count(*)::int AS n FROM bulk');
  assert.equal(bulk[0]!.n, 400_000);

  // The CLI reads the same catalog from the config-less flags + env credentials, and prints no secret.
  const yaml = `backups:\n  storage: s3://${s3.bucket}/app/prod\n  s3:\n    endpoint: ${s3.endpoint}\n    force_path_style: true\n`;
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'pgward-s3cfg-'));
  writeFileSync(join(dir, 'pgward.yaml'), yaml);
  const l = await cliAsync(['--config', join(dir, 'pgward.yaml'), 'backup', 'list', '--json']);
  assert.equal(l.code, 0, l.stderr);
  assert.equal(JSON.parse(l.stdout).backups[0].id, m.id);
  assert.doesNotMatch(l.stdout + l.stderr, /S3RVER/);
});

test('S3 server stopped mid-upload: clear error, nothing listed once it is back', async () => {
  const storage = await open('app/stopped');
  let stopped: Promise<void> | undefined;
  await assert.rejects(
    createBackup({
      url: db.url,
      storage,
      onProgress: (p) => {
        if (!stopped && p.bytes > 7 * 1024 * 1024) stopped = s3.stop();
      },
    }),
    (err: Error) => {
      assert.match(err.message, /^S3 upload s3:\/\/pgward-test\/app\/stopped\/\S+\.dump failed/);
      return true;
    },
  );
  assert.ok(stopped, 'the server was stopped during the upload');
  await stopped;
  await s3.start();
  const cat = await readCatalog(storage);
  assert.deepEqual(cat.backups, []);
  assert.deepEqual(cat.leftovers, [], 'an aborted multipart upload leaves no object');
});
