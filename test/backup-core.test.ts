// Backups end to end on real PostgreSQL: create in one snapshot, list, verify by drill, restore,
// and a pgward archive restored by stock pg_restore alone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readCatalog } from '../src/backup/catalog.js';
import { createBackup } from '../src/backup/create.js';
import { restoreBackup } from '../src/backup/restore.js';
import { openStorage } from '../src/backup/storage.js';
import { verifyBackup } from '../src/backup/verify.js';
import { findPgTools } from '../src/pgtools/pgbin.js';
import { addBulk, appDatabase, cli, tempDir } from './harness/backup.js';
import { adminQuery, sessionsOpened } from './harness/db.js';

const store = tempDir('pgward-bk-core-');
after(() => store.cleanup());

test('create records exact counts, hashes and the latest migration; verify drills it and records the result', async () => {
  const db = await appDatabase();
  const storage = await openStorage(store.url, { baseDir: '/' });
  const m = await createBackup({ url: db.url, env: 'staging', storage, hash: true, labels: ['release-42'] });
  const byName = Object.fromEntries(m.tables.map((t) => [`${t.schema}.${t.name}`, t]));
  assert.equal(byName['public.customers']?.rows, 500);
  assert.equal(byName['public.orders']?.rows, 1000);
  assert.equal(byName['public.events_2024']!.rows + byName['public.events_2025']!.rows, 1500);
  assert.equal(byName['public.Odd "Name"']?.rows, 2);
  assert.equal(byName['public.events'], undefined, 'a partitioned parent holds no rows of its own');
  assert.ok(byName['public.customers']?.hash, 'hash recorded');
  assert.deepEqual(m.latestMigration, { table: 'pgward.migrations', version: '20240202000000' });
  assert.equal(m.archive.sha256.length, 64);
  assert.deepEqual(m.labels, ['release-42']);

  const { backups, leftovers } = await readCatalog(storage);
  assert.deepEqual(
    backups.map((b) => b.id),
    [m.id],
  );
  assert.deepEqual(leftovers, []);

  const v = await verifyBackup({ storage, ref: 'latest', env: 'staging', serverUrl: db.url });
  assert.equal(v.ok, true, v.firstDifference ?? '');
  assert.deepEqual(v.checks, { sha256: true, list: true, drill: true });
  assert.equal(v.tablesChecked, m.tables.length);
  const after = (await readCatalog(storage)).backups[0]!;
  assert.equal(after.verification?.ok, true, 'verification written back to the catalog');
  const drills = await adminQuery(
    db.cluster.url(),
    "SELECT datname FROM pg_database WHERE datname LIKE 'pgward_drill%'",
  );
  assert.deepEqual(drills, [], 'the scratch database is dropped');
});

test('counts are taken in the dump snapshot: rows committed during the dump are in neither', async () => {
  const db = await appDatabase();
  await addBulk(db, 200_000);
  const storage = await openStorage(store.url, { baseDir: '/' });
  let inserted = false;
  const m = await createBackup({
    url: db.url,
    storage,
    hash: true,
    onProgress: () => {
      if (inserted) return;
      inserted = true;
      void db.query('INSERT INTO customers SELECT g, $1 FROM generate_series(100001, 100050) g', ['late']);
    },
  });
  assert.ok(inserted);
  assert.equal(m.tables.find((t) => t.name === 'customers')?.rows, 500);
  const live = await db.query<{ n: string }>('SELECT count(*) AS n FROM customers');
  assert.equal(Number(live[0]!.n), 550, 'the concurrent insert did commit');
  const v = await verifyBackup({ storage, ref: m.id, serverUrl: db.url });
  assert.equal(v.ok, true, v.firstDifference ?? '');
});

test('a drill that finds different data fails and names the table', async () => {
  const db = await appDatabase(50);
  const storage = await openStorage(store.url, { baseDir: '/' });
  const m = await createBackup({ url: db.url, storage });
  // Tamper with the manifest's expectation: the archive is intact, the comparison must catch it.
  const text = (await storage.getText(`${m.id}.manifest.json`))!;
  const bad = JSON.parse(text);
  bad.tables.find((t: { name: string }) => t.name === 'orders').rows = 99;
  await storage.putText(`${m.id}.manifest.json`, JSON.stringify(bad));
  const v = await verifyBackup({ storage, ref: m.id, serverUrl: db.url });
  assert.equal(v.ok, false);
  assert.equal(v.checks.drill, false);
  assert.match(v.firstDifference ?? '', /table public\.orders: 100 rows restored, 99 in the backup/);
});

test('restore: new database by default-safe rules; non-empty target refused and untouched; protected needs its name', async () => {
  const db = await appDatabase(100);
  const storage = await openStorage(store.url, { baseDir: '/' });
  const m = await createBackup({ url: db.url, storage });

  const r = await restoreBackup({ storage, ref: m.id, targetUrl: db.url, create: `${db.name}_copy` });
  assert.equal(r.created, true);
  const n = await adminQuery(db.cluster.url(`${db.name}_copy`), 'SELECT count(*)::int AS n FROM orders');
  assert.equal(n[0]!.n, 200);

  // A non-empty target without --clean: refused before anything is written.
  const other = await appDatabase(7);
  await other.query("INSERT INTO customers VALUES (999, 'keep me')");
  const before = await other.query('SELECT * FROM customers ORDER BY id');
  await assert.rejects(
    restoreBackup({ storage, ref: m.id, targetUrl: other.url }),
    /is not empty: nothing was changed/,
  );
  assert.deepEqual(await other.query('SELECT * FROM customers ORDER BY id'), before, 'target untouched');

  await assert.rejects(
    restoreBackup({
      storage,
      ref: m.id,
      targetUrl: other.url,
      targetEnv: 'production',
      targetProtected: true,
      clean: true,
    }),
    /refusing to restore over protected environment production/,
  );
  const replaced = await restoreBackup({
    storage,
    ref: m.id,
    targetUrl: other.url,
    targetEnv: 'production',
    targetProtected: true,
    clean: true,
    overwriteProtected: 'production',
  });
  assert.equal(replaced.created, false);
  assert.deepEqual(await other.query<{ n: number }>('SELECT count(*)::int AS n FROM customers'), [
    { n: 100 },
  ]);
});

test('a pgward archive restores with stock pg_restore alone', async () => {
  const db = await appDatabase(30);
  const storage = await openStorage(store.url, { baseDir: '/' });
  const m = await createBackup({ url: db.url, storage });
  const tools = await findPgTools(15, 'for the test');
  await adminQuery(db.cluster.url(), `CREATE DATABASE ${db.name}_stock`);
  const u = new URL(db.cluster.url(`${db.name}_stock`));
  execFileSync(
    tools.pgRestore,
    [
      '--exit-on-error',
      '-d',
      `${u.protocol}//${u.username}@${u.host}${u.pathname}`,
      join(store.dir, m.archive.key),
    ],
    {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) },
    },
  );
  const rows = await adminQuery(u.toString(), 'SELECT count(*)::int AS n FROM orders');
  assert.equal(rows[0]!.n, 60);
});

test('pg_dump older than the server: fails before starting and names the version needed', async () => {
  const bin = tempDir('pgward-oldbin-');
  try {
    mkdirSync(bin.dir, { recursive: true });
    for (const tool of ['pg_dump', 'pg_restore']) {
      const p = join(bin.dir, tool);
      writeFileSync(p, `#!/bin/sh\necho "${tool} (PostgreSQL) 9.6.24"\n`);
      chmodSync(p, 0o755);
    }
    await assert.rejects(
      findPgTools(15, 'to dump this PostgreSQL 15 server', { PGWARD_PG_BIN: bin.dir }),
      (err: Error) => {
        assert.match(
          err.message,
          /pg_dump\/pg_restore 15 or newer is needed to dump this PostgreSQL 15 server; found only 9\.6/,
        );
        return true;
      },
    );
    const db = await appDatabase(5);
    const r = cli(['backup', '--storage', store.url, 'create', '--url', db.url], { PGWARD_PG_BIN: bin.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /15 or newer is needed/);
    assert.doesNotMatch(r.stderr, /pgw-Secr3t/, 'no password in output');
  } finally {
    bin.cleanup();
  }
});

test('CLI: create --json prints the manifest; list and show read the catalog; passwords never printed', async () => {
  const db = await appDatabase(20);
  const dir = tempDir('pgward-bk-cli-');
  try {
    const c = cli([
      'backup',
      '--storage',
      dir.url,
      'create',
      '--url',
      db.url,
      '--json',
      '--pin',
      '--label',
      'a',
      'b',
    ]);
    assert.equal(c.code, 0, c.stderr);
    const m = JSON.parse(c.stdout);
    assert.equal(m.pinned, true);
    assert.deepEqual(m.labels, ['a', 'b']);
    const l = cli(['backup', '--storage', dir.url, 'list', '--json']);
    assert.equal(JSON.parse(l.stdout).backups[0].id, m.id);
    const s = cli(['backup', '--storage', dir.url, 'show', m.id.slice(0, 12)]);
    assert.equal(s.code, 0);
    assert.match(s.stdout, /public\.customers\s+20/);
    for (const out of [c, l, s]) assert.doesNotMatch(out.stdout + out.stderr, /pgw-Secr3t/);
  } finally {
    dir.cleanup();
  }
});

test('the session that identified the database is the one whose snapshot is dumped: backup create opens three sessions (snapshot, counts, pg_dump)', async () => {
  const db = await appDatabase(20);
  const before = await sessionsOpened(db);
  const r = cli(['backup', '--storage', store.url, 'create', '--url', db.url, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const opened = (await sessionsOpened(db)) - before;
  // One more would mean the database was identified on a session other than the dumped one, or the
  // transaction-pooler probe opened its own second client instead of using the idle counting one.
  assert.equal(opened, 3, `sessions opened by backup create: ${opened}`);
});
