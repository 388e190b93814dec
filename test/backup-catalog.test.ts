// The backup catalog never loses a proven backup (file:// storage, real PostgreSQL, the built CLI):
// prune deletes only what it proved unreferenced, names from storage are untrusted, a backup whose
// archive is gone is not proven, recover falls back, and a drill that could not run changes nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readCatalog } from '../src/backup/catalog.js';
import { archiveKey, type BackupManifest, manifestKey, newBackupId } from '../src/backup/manifest.js';
import { openStorage } from '../src/backup/storage.js';
import { loadConfig } from '../src/config/load.js';
import { resolveTarget } from '../src/config/target.js';
import { runJob } from '../src/serve/jobs.js';
import { appDatabase, tempDir } from './harness/backup.js';
import { catalogProject, plantFile, takeBackup } from './harness/catalog-fixtures.js';
import { freePort, TEST_PASSWORD } from './harness/cluster.js';
import { adminQuery, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';

let db: TestDatabase;
before(async () => {
  db = await appDatabase(40);
});

const exists = (dir: string, key: string) => existsSync(join(dir, key));
const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at /, 'no stack trace');
const OLD = new Date(Date.now() - 86_400_000);

/** An orphan archive (no manifest) old enough to be a leftover, copied from a real one. */
function orphan(dir: string, from: BackupManifest): string {
  const key = archiveKey(newBackupId(new Date(Date.now() - 86_400_000)));
  writeFileSync(join(dir, key), readFileSync(join(dir, archiveKey(from.id))));
  utimesSync(join(dir, key), OLD, OLD);
  return key;
}

test('invariant: prune never deletes an archive whose manifest it cannot read, and fails the run', async () => {
  const p = await catalogProject(db, '    keep_last: 0');
  const pinned = await takeBackup(db, p.storage, { pin: true });
  const proven = await takeBackup(db, p.storage, { drill: true });
  const other = await takeBackup(db, p.storage);
  const plain = await takeBackup(db, p.storage);
  const left = orphan(p.storageDir, plain);
  // Damage three manifests three ways: truncated, not JSON at all, JSON of another shape.
  const pinnedText = readFileSync(join(p.storageDir, manifestKey(pinned.id)), 'utf8');
  plantFile(p.storageDir, manifestKey(pinned.id), pinnedText.slice(0, pinnedText.length / 2));
  plantFile(p.storageDir, manifestKey(proven.id), '\u0000\u0001garbage');
  plantFile(p.storageDir, manifestKey(other.id), '{"format":"pgward-backup/1"}');
  // And a "manifest" that is a directory: unreadable, so its (old) archive is no leftover either.
  const dirManifest = orphan(p.storageDir, plain).replace(/\.dump$/, '');
  mkdirSync(join(p.storageDir, manifestKey(dirManifest)));

  const r = await runCli(['backup', 'prune', '--json', '--leftover-grace', '0'], { cwd: p.dir });
  assert.equal(r.code, 1, `a prune that could not read everything fails: ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.ok, false);
  const errorKeys = doc.errors.map((e: { key: string }) => e.key).sort();
  assert.deepEqual(errorKeys, [pinned.id, proven.id, other.id, dirManifest].map(manifestKey).sort());
  assert.ok(exists(p.storageDir, archiveKey(dirManifest)), 'archive of a directory "manifest" kept');
  for (const m of [pinned, proven, other]) {
    assert.ok(exists(p.storageDir, archiveKey(m.id)), `archive of unreadable ${m.id} kept`);
    assert.ok(!doc.leftovers.some((l: { key: string }) => l.key.startsWith(m.id)), 'never a leftover');
  }
  // What it could prove, it still did: the readable unprotected backup and the real orphan are gone.
  assert.deepEqual(doc.deleted, [plain.id]);
  assert.ok(!exists(p.storageDir, archiveKey(plain.id)) && !exists(p.storageDir, manifestKey(plain.id)));
  assert.ok(!exists(p.storageDir, left), 'the old orphan archive was removed');

  // Human output: the same failure, one line per problem, exit 1, no stack.
  const h = await runCli(['backup', 'prune', '--leftover-grace', '0'], { cwd: p.dir });
  assert.equal(h.code, 1);
  assert.match(h.stderr, /prune incomplete/);
  noStack(h.stderr);
});

test('invariant: an archive whose id has an unreadable manifest is referenced, never a leftover (any age)', async () => {
  const p = await catalogProject(db, '    keep_last: 5');
  const m = await takeBackup(db, p.storage, { drill: true });
  utimesSync(join(p.storageDir, archiveKey(m.id)), OLD, OLD);
  for (const broken of ['', '{', 'null', '[]', '{"format":"pgward-backup/1","id":1}']) {
    plantFile(p.storageDir, manifestKey(m.id), broken);
    const cat = await readCatalog(p.storage);
    assert.deepEqual(cat.leftovers, [], `manifest ${JSON.stringify(broken)}: no leftover`);
    const r = await runCli(['backup', 'prune', '--json', '--leftover-grace', '0'], { cwd: p.dir });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(exists(p.storageDir, archiveKey(m.id)), `manifest ${JSON.stringify(broken)}: archive kept`);
  }
});

test('invariant: keys are derived from the id; a manifest naming another archive key is never followed', async () => {
  const p = await catalogProject(db, '    keep_last: 0');
  const outside = join(p.dir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'victim'), 'not a backup');
  const keeper = await takeBackup(db, p.storage, { pin: true });
  const hostile = await takeBackup(db, p.storage);
  const stealer = await takeBackup(db, p.storage);
  const rewrite = (m: BackupManifest, patch: Partial<BackupManifest>) =>
    plantFile(p.storageDir, manifestKey(m.id), JSON.stringify({ ...m, ...patch }));
  rewrite(hostile, { archive: { ...hostile.archive, key: '../outside/victim' } });
  rewrite(stealer, { archive: { ...stealer.archive, key: archiveKey(keeper.id) } });
  // A manifest named after no id at all, pointing at a real archive: ignored, reported, nothing deleted.
  plantFile(p.storageDir, 'evil.manifest.json', JSON.stringify({ ...keeper, id: 'evil' }));

  const r = await runCli(['backup', 'prune', '--json', '--leftover-grace', '0'], { cwd: p.dir });
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(
    JSON.parse(r.stdout)
      .errors.map((e: { key: string }) => e.key)
      .sort(),
    [manifestKey(hostile.id), manifestKey(stealer.id), 'evil.manifest.json'].sort(),
  );
  assert.ok(existsSync(join(outside, 'victim')), 'nothing outside the storage directory is deleted');
  assert.ok(exists(p.storageDir, archiveKey(keeper.id)), "another backup's archive is not deleted");
  assert.ok(exists(p.storageDir, archiveKey(hostile.id)) && exists(p.storageDir, archiveKey(stealer.id)));

  for (const args of [
    ['backup', 'show', hostile.id],
    ['backup', 'verify', hostile.id, '--no-drill'],
    ['backup', 'restore', stealer.id, '--to', db.url, '--create', `${db.name}_never`],
  ]) {
    const s = await runCli(args, { cwd: p.dir });
    assert.equal(s.code, 1, `${args.join(' ')}: ${s.stderr}`);
    assert.match(s.stderr, /names archive .* not followed/);
    noStack(s.stderr);
  }
  assert.ok(existsSync(join(outside, 'victim')));
  const dbs = await adminQuery(db.cluster.url('postgres'), 'SELECT 1 FROM pg_database WHERE datname = $1', [
    `${db.name}_never`,
  ]);
  assert.equal(dbs.length, 0, 'nothing restored from a hostile manifest');
});

test('invariant: a backup id on the command line is an id, never a path (usage error, exit 2, one line)', async () => {
  const store = tempDir('pgward-bk-ids-');
  try {
    const id = newBackupId();
    const hostile = [
      `../x/${id}`,
      `x/${id}`,
      '..',
      '.',
      `${id}/..`,
      `${id}.manifest.json`,
      '%2e%2e',
      '/etc/passwd',
      'latest/x',
      `${id}\nINJECTED`,
      'abc',
      `${id}-extra`,
    ];
    for (const ref of hostile) {
      for (const cmd of [
        ['show', ref],
        ['verify', ref, '--no-drill'],
        ['restore', ref, '--to', db.url, '--create', 'x'],
      ]) {
        const r = await runCli(['backup', '--storage', store.url, ...cmd]);
        assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /invalid backup id/);
        assert.equal(
          r.stderr
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('error')).length,
          1,
        );
        assert.doesNotMatch(r.stderr, /INJECTED\n/, 'the id is shown on one line');
        noStack(r.stderr);
      }
    }
  } finally {
    store.cleanup();
  }
});

test('invariant: nothing outside the storage directory is read or deleted through a symlink', async () => {
  const p = await catalogProject(db, '    keep_last: 0');
  const outside = join(p.dir, 'outside');
  mkdirSync(outside);
  const real = await takeBackup(db, p.storage, { pin: true });
  // An outside copy of a real archive, linked in as another backup's archive, manifest and all.
  writeFileSync(join(outside, 'dump'), readFileSync(join(p.storageDir, archiveKey(real.id))));
  const linked = newBackupId();
  symlinkSync(join(outside, 'dump'), join(p.storageDir, archiveKey(linked)));
  plantFile(
    p.storageDir,
    manifestKey(linked),
    JSON.stringify({
      ...real,
      id: linked,
      pinned: false,
      archive: { ...real.archive, key: archiveKey(linked) },
    }),
  );
  writeFileSync(join(outside, 'manifest'), JSON.stringify(real));
  const linkedManifest = newBackupId();
  symlinkSync(join(outside, 'manifest'), join(p.storageDir, manifestKey(linkedManifest)));
  // An orphan "archive" that is a link to an outside file.
  const linkedOrphan = newBackupId(OLD);
  symlinkSync(join(outside, 'dump'), join(p.storageDir, archiveKey(linkedOrphan)));

  const v = await runCli(['backup', 'verify', linked, '--no-drill'], { cwd: p.dir });
  assert.notEqual(v.code, 0);
  assert.match(v.stdout + v.stderr, /symlink to outside/);
  const s = await runCli(['backup', 'show', linkedManifest], { cwd: p.dir });
  assert.equal(s.code, 1, s.stderr);
  assert.match(s.stderr, /symlink to outside/);
  noStack(s.stderr);
  await runCli(['backup', 'prune', '--leftover-grace', '0'], { cwd: p.dir });
  assert.ok(
    existsSync(join(outside, 'dump')) && existsSync(join(outside, 'manifest')),
    'outside files intact',
  );
  assert.ok(exists(p.storageDir, archiveKey(real.id)));
});

test('invariant: a drill-passed backup whose archive is missing is not proven; prune keeps the real one', async () => {
  const p = await catalogProject(db, '    keep_last: 0');
  const older = await takeBackup(db, p.storage, { drill: true });
  const phantom = await takeBackup(db, p.storage, { drill: true });
  rmSync(join(p.storageDir, archiveKey(phantom.id)));
  const list = await runCli(['backup', 'list'], { cwd: p.dir });
  assert.match(list.stdout, new RegExp(`${phantom.id}.*ARCHIVE MISSING`), 'listed as what it is');
  const r = await runCli(['backup', 'prune', '--json'], { cwd: p.dir });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const rule = (id: string) => doc.decisions.find((d: { id: string }) => d.id === id);
  assert.equal(rule(older.id).keep, true);
  assert.match(rule(older.id).rule, /newest backup whose restore drill passed/);
  assert.ok(exists(p.storageDir, archiveKey(older.id)) && exists(p.storageDir, manifestKey(older.id)));
  assert.equal(rule(phantom.id).keep, false, 'the phantom is not kept as proven');
  assert.deepEqual(doc.deleted, [phantom.id], 'and its manifest goes: no manifest without archive');
});

test('invariant: recover falls back to the next proven backup when an archive is missing or unreadable', async () => {
  const p = await catalogProject(db, '    keep_last: 10');
  const good = await takeBackup(db, p.storage, { drill: true });
  const corrupt = await takeBackup(db, p.storage, { drill: true });
  const missing = await takeBackup(db, p.storage, { drill: true });
  rmSync(join(p.storageDir, archiveKey(missing.id)));
  const cp = join(p.storageDir, archiveKey(corrupt.id));
  const bytes = readFileSync(cp);
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
  writeFileSync(cp, bytes);

  const r = await runCli(
    ['recover', '--env', 'prod', '--drill', '--server', db.cluster.url('postgres'), '--json'],
    { cwd: p.dir },
  );
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.backup.id, good.id, 'the newest backup that can actually be restored');
  assert.deepEqual(
    doc.skipped.map((s: { id: string }) => s.id),
    [corrupt.id],
    'the one without archive is not even a candidate; the corrupt one is passed over',
  );
  assert.match(r.stderr, new RegExp(`passed over backup ${corrupt.id}: .*sha256 differs`));
});

test('invariant: a drill that could not run is "not run": nothing recorded, exit 1, backup stays eligible', async () => {
  const p = await catalogProject(db, '    keep_last: 0');
  const proven = await takeBackup(db, p.storage, { drill: true });
  const newer = await takeBackup(db, p.storage);
  const before = readFileSync(join(p.storageDir, manifestKey(proven.id)), 'utf8');
  const beforeNewer = readFileSync(join(p.storageDir, manifestKey(newer.id)), 'utf8');
  const u = new URL(db.url);
  const closed = `postgresql://${u.username}:${TEST_PASSWORD}@127.0.0.1:${await freePort()}/postgres`;
  const wrongPassword = db.url.replace(TEST_PASSWORD, 'wrong-password');
  for (const [id, server] of [
    [proven.id, closed],
    [newer.id, closed],
    [proven.id, wrongPassword],
  ] as const) {
    for (const flag of ['--url', '--into']) {
      const r = await runCli(['backup', 'verify', id, flag, server], { cwd: p.dir });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /did not run: cannot connect to .*nothing was recorded/);
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error')).length, 1);
      assert.ok(!(r.stdout + r.stderr).includes(TEST_PASSWORD) && !r.stderr.includes('wrong-password'));
      noStack(r.stderr);
    }
  }
  assert.equal(readFileSync(join(p.storageDir, manifestKey(proven.id)), 'utf8'), before, 'unchanged');
  assert.equal(readFileSync(join(p.storageDir, manifestKey(newer.id)), 'utf8'), beforeNewer, 'unchanged');
  const pr = await runCli(['backup', 'prune', '--json'], { cwd: p.dir });
  assert.equal(pr.code, 0, pr.stderr);
  assert.ok(JSON.parse(pr.stdout).decisions.find((d: { id: string }) => d.id === proven.id).keep);
  assert.ok(exists(p.storageDir, archiveKey(proven.id)));
});

test('invariant: verify latest without --env means the default environment; with no config, every backup', async () => {
  const storeRel = 'file://./backups';
  const envs = `environments:\n  prod:\n    url: ${db.url}\n  staging:\n    url: ${db.url}\n`;
  const withDefault = makeProject({
    'pgward.yaml': `${envs}default_env: staging\nbackups:\n  storage: ${storeRel}\n`,
  });
  const storage = await openStorage(storeRel, { baseDir: withDefault });
  const staging = await takeBackup(db, storage, { env: 'staging' });
  const prod = await takeBackup(db, storage, { env: 'prod' });
  const latest = async (cwd: string, pre: string[] = [], post: string[] = []) => {
    const r = await runCli([...pre, 'backup', ...post, 'verify', 'latest', '--no-drill', '--json'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).id as string;
  };
  assert.equal(await latest(withDefault), staging.id, 'default_env');
  assert.equal(await latest(withDefault, ['--env', 'prod']), prod.id, '--env wins');
  const show = await runCli(['backup', 'show', 'latest', '--json'], { cwd: withDefault });
  assert.equal(JSON.parse(show.stdout).id, staging.id, 'show latest agrees');
  const only = makeProject({
    'pgward.yaml': `environments:\n  staging:\n    url: ${db.url}\nbackups:\n  storage: file://${join(withDefault, 'backups')}\n`,
  });
  assert.equal(await latest(only), staging.id, 'the only environment');
  const bare = makeProject({});
  assert.equal(await latest(bare, [], ['--storage', `file://${join(withDefault, 'backups')}`]), prod.id);
});

test('invariant: under serve, a prune that could not read the catalog is a failed job', async () => {
  const p = await catalogProject(db, '    keep_last: 0');
  const m = await takeBackup(db, p.storage, { drill: true });
  plantFile(p.storageDir, manifestKey(m.id), '{');
  const config = loadConfig(p.config);
  const target = resolveTarget({ config, env: 'prod' });
  const ctx = { config, target, source: undefined, signal: new AbortController().signal };
  await assert.rejects(runJob('prune', ctx), /prune incomplete: 1 problem/);
  assert.ok(exists(p.storageDir, archiveKey(m.id)));
});
