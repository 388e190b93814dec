// Connections that drop: a TCP proxy the test controls (test/harness/tcp-proxy.ts) cuts every connection
// mid-migration, mid-backup and mid-clone. Each run fails with one line and a non-zero exit, nothing is
// recorded as done that is not (history, backup catalog, clone mark), and the next run recovers.
// Also: the IPv6 loopback spelling [::1] works for migrate and backup.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addBulk, tempDir } from './harness/backup.js';
import { createTestDatabase, sharedCluster, type TestDatabase } from './harness/db.js';
import { type CliResult, makeProject, migration, runCli } from './harness/project.js';
import { afterRefreshes, getJson, startServe } from './harness/serve.js';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.js';

let proxy: TcpProxy;
before(async () => {
  proxy = await startTcpProxy((await sharedCluster()).port);
});
after(() => proxy?.close());

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function activeLike(db: TestDatabase, pattern: string): Promise<number> {
  const r = await db.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE $2 AND pid <> pg_backend_pid()',
    [db.name, pattern],
  );
  return Number(r[0]!.n);
}

/** One clear line on stderr, no stack trace, no password. */
function assertCleanFailure(r: CliResult, label: string): void {
  assert.notEqual(r.code, 0, `${label}: must fail\n${r.stdout}`);
  assert.match(r.stderr, /^error: /m, `${label}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `${label}: no stack trace`);
  assert.doesNotMatch(r.stdout + r.stderr, /pgw-Secr3t/, `${label}: no password`);
  assert.doesNotMatch(
    r.stderr,
    /unexpected failure/,
    `${label}: a dropped connection is not reported as a bug`,
  );
}

async function history(db: TestDatabase): Promise<string[]> {
  const [t] = await db.query<{ t: string | null }>("SELECT to_regclass('pgward.migrations')::text AS t");
  if (!t?.t) return [];
  return (await db.query<{ v: string }>('SELECT version AS v FROM pgward.migrations ORDER BY 1')).map(
    (r) => r.v,
  );
}

describe('connections that drop', () => {
  it('invariant: a dropped connection never leaves a migration marked applied that did not commit', async () => {
    const db = await createTestDatabase();
    // How long the second migration sleeps comes from a table, so the rerun is the same file (same checksum).
    await db.query('CREATE TABLE sleep_for (secs float8); INSERT INTO sleep_for VALUES (30)');
    const dir = makeProject({
      'db/migrations/20240101000000_first.sql': migration('CREATE TABLE first (id int);'),
      'db/migrations/20240102000000_slow.sql': migration(
        'CREATE TABLE half (id int);\nSELECT pg_sleep(secs) FROM public.sleep_for;\nCREATE TABLE rest (id int);',
      ),
    });
    const run = runCli(['migrate', '--url', proxy.url(db.name)], { cwd: dir });
    await until('the slow migration to be running', async () => (await activeLike(db, '%pg_sleep%')) > 0);
    proxy.cut();
    const r = await run;
    assertCleanFailure(r, 'migrate');
    assert.match(
      r.stderr,
      /^error: migration 20240102000000_slow failed: it was rolled back and nothing was recorded for it$/m,
    );
    assert.match(r.stderr, /Connection terminated unexpectedly/);
    // The server notices the client is gone (client_connection_check_interval) and rolls the migration back.
    await until('the cut session to end', async () => (await activeLike(db, '%pg_sleep%')) === 0);
    assert.deepEqual(await history(db), ['20240101000000'], 'only the migration that committed is recorded');
    const [half] = await db.query<{ t: string | null }>("SELECT to_regclass('public.half')::text AS t");
    assert.equal(half?.t, null, 'the cut migration was rolled back');
    const st = await runCli(['status', '--url', proxy.url(db.name)], { cwd: dir });
    assert.equal(st.code, 3, `slow is pending again: ${st.stdout}${st.stderr}`);
    assert.match(st.stdout, /20240102000000\s+slow\s+pending/);
    // The next run over the restored connection applies it: the lock died with the cut session.
    await db.query('UPDATE sleep_for SET secs = 0');
    const again = await runCli(['migrate', '--url', proxy.url(db.name)], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await history(db), ['20240101000000', '20240102000000']);
  });

  it('a backup cut mid-dump fails cleanly, lists nothing, and the next backup succeeds', async () => {
    const db = await createTestDatabase();
    await addBulk(db, 300_000);
    const store = tempDir('pgward-drop-bk-');
    try {
      const before = proxy.bytesFromServer();
      const run = runCli(['backup', '--storage', store.url, 'create', '--url', proxy.url(db.name)]);
      await until('the dump to stream', () => proxy.bytesFromServer() - before > 2_000_000);
      proxy.cut();
      assertCleanFailure(await run, 'backup create');
      const l = await runCli(['backup', '--storage', store.url, 'list', '--json']);
      assert.equal(l.code, 0, l.stderr);
      const doc = JSON.parse(l.stdout);
      assert.deepEqual(doc.backups, [], 'no backup listed');
      const ok = await runCli([
        'backup',
        '--storage',
        store.url,
        'create',
        '--url',
        proxy.url(db.name),
        '--json',
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      const l2 = JSON.parse((await runCli(['backup', '--storage', store.url, 'list', '--json'])).stdout);
      assert.equal(l2.backups.length, 1);
    } finally {
      store.cleanup();
    }
  });

  it('a clone cut mid-copy fails cleanly, the target stays marked incomplete, and a --clean rerun succeeds', async () => {
    const src = await createTestDatabase();
    await addBulk(src, 300_000);
    const dst = await createTestDatabase();
    const before = proxy.bytesFromServer();
    const run = runCli(['clone', '--from', proxy.url(src.name), '--to', dst.url]);
    await until('the copy to stream', () => proxy.bytesFromServer() - before > 2_000_000);
    proxy.cut();
    assertCleanFailure(await run, 'clone');
    const [mark] = await dst.query<{ t: string | null }>(
      "SELECT to_regclass('pgward_clone.state')::text AS t",
    );
    assert.ok(mark?.t, 'the target says it holds an incomplete clone');
    const again = await runCli([
      'clone',
      '--from',
      proxy.url(src.name),
      '--to',
      dst.url,
      '--clean',
      '--json',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).ok, true);
    const [gone] = await dst.query<{ t: string | null }>(
      "SELECT to_regclass('pgward_clone.state')::text AS t",
    );
    assert.equal(gone?.t, null);
  });

  it('serve: a connection cut while it refreshes is reported as unreachable, then reconnects by itself', async () => {
    const db = await createTestDatabase();
    const own = await startTcpProxy((await sharedCluster()).port);
    const dir = makeProject({
      'pgward.yaml': `environments:\n  prod:\n    url: ${own.url(db.name)}\nserve:\n  refresh_interval: 200ms\n`,
      'db/migrations/001_a.sql': migration('CREATE TABLE a (id int);'),
    });
    const s = await startServe(dir, ['--env', 'prod']);
    try {
      assert.equal((await getJson(`${s.url}/health`)).json.database, 'connected');
      // Cut and keep new connections out for a refresh: the broken connection is noticed and dropped.
      own.refuse = true;
      own.cut();
      await afterRefreshes(s.url);
      const down = await getJson(`${s.url}/health`);
      assert.equal(down.status, 503);
      assert.equal(down.json.database, 'unreachable');
      own.refuse = false;
      await afterRefreshes(s.url);
      const back = await getJson(`${s.url}/health`);
      assert.equal(back.status, 200, JSON.stringify(back.json));
      assert.equal(back.json.database, 'connected');
      assert.match(s.logs(), /database reachable again/);
      assert.doesNotMatch(s.logs(), /pgw-Secr3t/);
    } finally {
      await s.stop();
      await own.close();
    }
  });

  it('IPv6 loopback: migrate and backup through postgresql://…@[::1]:port', async () => {
    const db = await createTestDatabase();
    const url = db.url.replace('@127.0.0.1:', '@[::1]:');
    assert.ok(url.includes('[::1]'));
    const dir = makeProject({ 'db/migrations/20240101000000_a.sql': migration('CREATE TABLE a (id int);') });
    const m = await runCli(['migrate', '--url', url], { cwd: dir });
    assert.equal(m.code, 0, m.stderr);
    const store = tempDir('pgward-v6-bk-');
    try {
      const b = await runCli(['backup', '--storage', store.url, 'create', '--url', url, '--json']);
      assert.equal(b.code, 0, b.stderr);
      assert.doesNotMatch(b.stdout + b.stderr, /pgw-Secr3t/);
    } finally {
      store.cleanup();
    }
  });
});
