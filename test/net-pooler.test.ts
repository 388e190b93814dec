// PgBouncer (Debian) in front of the test cluster, in session and transaction mode: session work (the
// migration lock, backups, clones) is refused through a transaction pooler with one line naming
// direct_url, and goes through the direct URL when pgward.yaml gives one; session pooling just works.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '../src/db/connect.js';
import { isNeonPoolerHost } from '../src/db/pooler.js';
import { tlsPlan } from '../src/db/tls.js';
import { pgConn } from '../src/pgtools/exec.js';
import { tempDir } from './harness/backup.js';
import { createTestDatabase, sharedCluster, type TestDatabase } from './harness/db.js';
import { type PgBouncer, startPgBouncer } from './harness/pgbouncer.js';
import { makeProject, migration, runCli } from './harness/project.js';

let txn: PgBouncer;
let session: PgBouncer;
before(async () => {
  const cluster = await sharedCluster();
  txn = await startPgBouncer(cluster, 'transaction');
  session = await startPgBouncer(cluster, 'session');
});
after(() => {
  txn?.stop();
  session?.stop();
});

const MIGRATIONS = {
  'db/migrations/20240101000000_create_items.sql': migration(
    'CREATE TABLE items (id int);',
    'DROP TABLE items;',
  ),
};

async function historyRows(db: TestDatabase): Promise<number> {
  const [r] = await db.query<{ t: string | null }>("SELECT to_regclass('pgward.migrations')::text AS t");
  if (!r?.t) return 0;
  return Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM pgward.migrations'))[0]!.n);
}

describe('connection poolers', () => {
  it('invariant: the migration lock is never taken through a transaction pooler', async () => {
    const db = await createTestDatabase();
    const dir = makeProject(MIGRATIONS);
    const r = await runCli(['migrate', '--url', txn.url(db.name)], { cwd: dir });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const first = r.stderr.trim().split('\n')[0] ?? '';
    assert.match(
      first,
      /goes through a transaction pooler \(its server session changed between two transactions/,
    );
    assert.match(first, /the migration lock needs one server session/);
    assert.match(r.stderr, /direct \(unpooled\) URL/);
    assert.doesNotMatch(r.stderr, /pgw-Secr3t/);
    assert.equal(await historyRows(db), 0, 'nothing recorded');
    const [t] = await db.query<{ t: string | null }>("SELECT to_regclass('public.items')::text AS t");
    assert.equal(t?.t, null, 'nothing applied');
    const locks = await db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'");
    assert.equal(locks.length, 0, 'no advisory lock left on any pooled server session');
  });

  it("with direct_url in pgward.yaml, migrate and status use it (the pooled url stays the app's)", async () => {
    const db = await createTestDatabase();
    const dir = makeProject({
      ...MIGRATIONS,
      'pgward.yaml': `environments:\n  staging:\n    url: ${txn.url(db.name)}\n    direct_url: ${db.url}\n`,
    });
    const m = await runCli(['migrate', '--env', 'staging'], { cwd: dir });
    assert.equal(m.code, 0, m.stderr);
    assert.equal(await historyRows(db), 1);
    const s = await runCli(['status', '--env', 'staging'], { cwd: dir });
    assert.equal(s.code, 0, s.stderr);
  });

  it('`pooler: transaction` refuses even a URL the probe cannot tell; Neon -pooler host names are recognised', async () => {
    const db = await createTestDatabase();
    const dir = makeProject({
      ...MIGRATIONS,
      'pgward.yaml': `environments:\n  staging:\n    url: ${db.url}\n    pooler: transaction\n`,
    });
    const m = await runCli(['migrate', '--env', 'staging'], { cwd: dir });
    assert.equal(m.code, 2, m.stderr);
    assert.match(m.stderr, /pgward\.yaml says `pooler: transaction`/);
    assert.match(m.stderr, /environments\.staging\.direct_url/);
    assert.equal(await historyRows(db), 0);
    assert.equal(
      isNeonPoolerHost('postgresql://u:p@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/db'),
      true,
    );
    assert.equal(
      isNeonPoolerHost('postgresql://u:p@ep-cool-darkness-123456.us-east-2.aws.neon.tech/db'),
      false,
    );
    assert.equal(isNeonPoolerHost('postgresql://u:p@db.pooler.example/db'), false);
  });

  it('through a session pooler, migrate, backup and clone work', async () => {
    const db = await createTestDatabase();
    await db.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 50)');
    const dst = await createTestDatabase();
    const dir = makeProject(MIGRATIONS);
    const m = await runCli(['migrate', '--url', session.url(db.name)], { cwd: dir });
    assert.equal(m.code, 0, m.stderr);
    const store = tempDir('pgward-pooler-bk-');
    try {
      const b = await runCli(
        ['backup', '--storage', store.url, 'create', '--url', session.url(db.name), '--json'],
        { cwd: dir },
      );
      assert.equal(b.code, 0, b.stderr);
    } finally {
      store.cleanup();
    }
    const c = await runCli(['clone', '--from', session.url(db.name), '--to', dst.url, '--json'], {
      cwd: dir,
    });
    assert.equal(c.code, 0, c.stderr);
  });

  it('backup and clone are refused through a transaction pooler, leaving nothing behind', async () => {
    const db = await createTestDatabase();
    await db.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 50)');
    const dst = await createTestDatabase();
    const store = tempDir('pgward-pooler-bk-');
    try {
      const b = await runCli(['backup', '--storage', store.url, 'create', '--url', txn.url(db.name)]);
      assert.equal(b.code, 2, b.stderr);
      assert.match(b.stderr, /transaction pooler .*a backup/);
      const l = await runCli(['backup', '--storage', store.url, 'list', '--json']);
      assert.deepEqual(JSON.parse(l.stdout).backups, []);
    } finally {
      store.cleanup();
    }
    const c = await runCli(['clone', '--from', txn.url(db.name), '--to', dst.url]);
    assert.equal(c.code, 2, c.stderr);
    assert.match(c.stderr, /transaction pooler .*a clone/);
    const [n] = await dst.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public'",
    );
    assert.equal(n?.n, '0', 'the target was not touched');
  });

  it("connection parameters such as Neon's options=endpoint%3D… reach the server and child programs untouched", async () => {
    const neon =
      'postgresql://u:secret@ep-x-123.aws.neon.tech/db?sslmode=require&options=endpoint%3Dep-x-123&channel_binding=require';
    assert.equal(
      tlsPlan(neon).url,
      'postgresql://u:secret@ep-x-123.aws.neon.tech/db?options=endpoint%3Dep-x-123&channel_binding=require',
    );
    assert.equal(
      pgConn(neon).url,
      'postgresql://u@ep-x-123.aws.neon.tech/db?sslmode=require&options=endpoint%3Dep-x-123&channel_binding=require',
    );
    // The same kind of parameter on a real server: options=-c statement_timeout=12345.
    const db = await createTestDatabase();
    const c = await connect(`${db.url}?options=-c%20statement_timeout%3D12345`);
    try {
      const r = await c.query<{ s: string }>("SELECT current_setting('statement_timeout') AS s");
      assert.equal(r.rows[0]?.s, '12345ms');
    } finally {
      await c.end();
    }
  });
});
