// The faults issue 4 lists: pg_dump killed mid-stream, pgward itself killed, a full filesystem,
// corrupted and truncated archives. Each must leave nothing listed and say what went wrong.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCatalog } from '../src/backup/catalog.js';
import { createBackup } from '../src/backup/create.js';
import { pruneBackups } from '../src/backup/prune.js';
import { openStorage } from '../src/backup/storage.js';
import { verifyBackup } from '../src/backup/verify.js';
import { addBulk, appDatabase, CLI, cli, tempDir } from './harness/backup.js';
import type { TestDatabase } from './harness/db.js';
import { cliEnv } from './harness/project.js';

let db: TestDatabase;
const store = tempDir('pgward-bk-faults-');
before(async () => {
  db = await appDatabase(200);
  await addBulk(db); // ~40 MB of table data, so a dump takes long enough to be cut mid-stream
});
after(() => store.cleanup());

function childPgDump(): number | undefined {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.trim().endsWith('pg_dump'));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

test('pg_dump killed mid-stream: the backup fails naming pg_dump, nothing is listed, nothing is left', async () => {
  const dir = tempDir('pgward-bk-kill-');
  try {
    const storage = await openStorage(dir.url, { baseDir: '/' });
    let killedAt = -1;
    await assert.rejects(
      createBackup({
        url: db.url,
        storage,
        onProgress: (p) => {
          const pid = killedAt < 0 && p.bytes > 256 * 1024 ? childPgDump() : undefined;
          if (pid) {
            killedAt = p.bytes;
            process.kill(pid, 'SIGKILL');
          }
        },
      }),
      /pg_dump was killed by SIGKILL/,
    );
    assert.ok(killedAt > 0, 'pg_dump was killed while streaming');
    const cat = await readCatalog(storage);
    assert.deepEqual(cat.backups, []);
    assert.deepEqual(readdirSync(dir.dir), [], 'the partial archive was removed');
  } finally {
    dir.cleanup();
  }
});

test('pgward itself killed mid-stream: nothing listed; prune removes the leftover', async () => {
  const dir = tempDir('pgward-bk-kill9-');
  try {
    const child = spawn(process.execPath, [CLI, 'backup', '--storage', dir.url, 'create', '--url', db.url], {
      env: cliEnv(),
      stdio: 'ignore',
    });
    // Wait until the archive is being written, then kill pgward.
    const partial = () => readdirSync(dir.dir).find((f) => f.endsWith('.partial'));
    for (let i = 0; i < 600 && !(partial() && statSync(join(dir.dir, partial()!)).size > 256 * 1024); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(partial(), 'the archive was being written');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // pg_dump writes the .partial file itself, so it outlives a SIGKILLed pgward and finishes that file,
    // which is never published. Wait for it: until then prune rightly treats the file as in progress.
    const orphan = () => spawnSync('pgrep', ['-f', '--', `--file=${dir.dir}/`]).status === 0;
    for (let i = 0; i < 1200 && orphan(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(orphan(), false, 'the orphaned pg_dump exited');
    const storage = await openStorage(dir.url, { baseDir: '/' });
    const cat = await readCatalog(storage);
    assert.deepEqual(cat.backups, [], 'a backup without a manifest is never listed');
    assert.equal(cat.leftovers.length, 1);
    const list = cli(['backup', '--storage', dir.url, 'list']);
    assert.match(list.stdout, /no backups/);
    assert.match(list.stderr, /1 leftover object/);
    // Within the grace period a leftover may be a running backup: kept.
    const kept = await pruneBackups({ storage, rules: {} });
    assert.equal(kept.leftovers[0]?.removed, false);
    const p = cli(['backup', '--storage', dir.url, 'prune', '--leftover-grace', '0']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /removed leftover .*\.dump\.partial/);
    assert.deepEqual(readdirSync(dir.dir), []);
  } finally {
    dir.cleanup();
  }
});

test('a full filesystem: clear error, nothing listed, no partial file left', async (t) => {
  const dir = tempDir('pgward-bk-full-');
  const mnt = join(dir.dir, 'tiny');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    dir.cleanup();
    t.skip('cannot mount a 1 MB tmpfs here (needs root / CAP_SYS_ADMIN)');
    return;
  }
  try {
    const storage = await openStorage(`file://${mnt}`, { baseDir: '/' });
    await assert.rejects(createBackup({ url: db.url, storage }), /no space left on device/);
    assert.deepEqual((await readCatalog(storage)).backups, []);
    assert.deepEqual(readdirSync(mnt), []);
    const r = cli(['backup', '--storage', `file://${mnt}`, 'create', '--url', db.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: cannot write .*: no space left on device/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    execFileSync('umount', [mnt]);
    dir.cleanup();
  }
});

test('corrupted (one byte flipped) and truncated archives: verify fails and says why', async () => {
  const small = await appDatabase(100);
  const storage = await openStorage(store.url, { baseDir: '/' });
  const flipped = await createBackup({ url: small.url, storage });
  const truncated = await createBackup({ url: small.url, storage });

  const fp = join(store.dir, flipped.archive.key);
  const bytes = readFileSync(fp);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(fp, bytes);
  const v1 = await verifyBackup({ storage, ref: flipped.id, serverUrl: small.url });
  assert.equal(v1.ok, false);
  assert.equal(v1.checks.sha256, false);
  assert.match(v1.firstDifference ?? '', /sha256 differs from the manifest \(corrupted\)/);

  const tp = join(store.dir, truncated.archive.key);
  truncateSync(tp, Math.floor(statSync(tp).size * 0.6));
  const r = cli(['backup', '--storage', store.url, 'verify', truncated.id, '--url', small.url]);
  assert.equal(r.code, 10, 'a backup that fails verification exits 10 (validation failed)');
  assert.match(r.stdout, /archive is truncated: \d+ bytes, the manifest records \d+/);
  assert.match(r.stdout, /verification failed/);

  // Both failures are in the catalog.
  const cat = await readCatalog(storage);
  for (const id of [flipped.id, truncated.id]) {
    assert.equal(cat.backups.find((b) => b.id === id)?.verification?.ok, false);
  }
  // And a restore of a corrupted archive is refused before touching any database.
  const res = cli([
    'backup',
    '--storage',
    store.url,
    'restore',
    flipped.id,
    '--to',
    small.url,
    '--create',
    `${small.name}_x`,
  ]);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /cannot be restored: archive sha256 differs/);
  assert.equal(existsSync(join(store.dir, `${small.name}_x`)), false);
});
