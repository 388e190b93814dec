import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { defaultPolicy, type Policy, type Target } from '../src/config/target.js';
import { ExitCode, PgwardError } from '../src/errors.js';
import { connectEarly } from '../src/migrate/early-connect.js';
import { type MigrateEvent, migrate } from '../src/migrate/migrate.js';
import { rollback } from '../src/migrate/rollback.js';
import { getStatus } from '../src/migrate/status.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli, writeFile } from './harness/project.js';

function target(db: TestDatabase, policy: Partial<Policy> = {}): Target {
  return { env: 'test', url: db.url, protected: false, policy: { ...defaultPolicy(false), ...policy } };
}
const source = (dir: string) => ({
  dir: join(dir, 'db/migrations'),
  framework: 'pgward' as const,
  table: undefined,
});

async function setup(files: Record<string, string>, policy: Partial<Policy> = {}) {
  const db = await createTestDatabase();
  const prefixed = Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v]));
  const dir = makeProject(prefixed);
  return { db, dir, t: target(db, policy), src: source(dir) };
}

test('applies pending migrations in order and records version, checksum, who and pgward version', async () => {
  const { db, t, src } = await setup({
    '002_add_email.sql': migration(
      'ALTER TABLE users ADD COLUMN email text;',
      'ALTER TABLE users DROP COLUMN email;',
    ),
    '001_create_users.sql': migration('CREATE TABLE users (id bigint PRIMARY KEY);', 'DROP TABLE users;'),
  });
  const before = await getStatus({ target: t, source: src });
  assert.equal(before.exitCode, ExitCode.pending);
  assert.deepEqual(
    before.pending.map((p) => p.version),
    ['001', '002'],
  );

  const events: MigrateEvent[] = [];
  const r = await migrate({ target: t, source: src, onEvent: (e) => events.push(e) });
  assert.equal(r.exitCode, 0);
  assert.deepEqual(
    r.applied.map((a) => a.version),
    ['001', '002'],
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'applied').map((e) => (e as { version: string }).version),
    ['001', '002'],
  );
  const rows = await db.query(
    'SELECT version, name, checksum, applied_by, pgward_version FROM pgward.migrations ORDER BY version',
  );
  assert.deepEqual(
    rows.map((r) => r.version),
    ['001', '002'],
  );
  assert.equal(rows[0]!.name, 'create_users');
  assert.match(rows[0]!.checksum, /^[0-9a-f]{64}$/);
  assert.match(rows[0]!.applied_by, /@/);
  assert.match(rows[0]!.pgward_version, /^\d+\.\d+\.\d+/);
  const after = await getStatus({ target: t, source: src });
  assert.equal(after.exitCode, ExitCode.ok);
  assert.equal(after.counts.applied, 2);

  const again = await migrate({ target: t, source: src });
  assert.equal(again.applied.length, 0);
});

test('a failing migration keeps earlier ones, records nothing for itself, stops later ones, and names the line', async () => {
  const { db, t, src } = await setup({
    '001_ok.sql': migration('CREATE TABLE a (id int);'),
    '002_bad.sql': migration(
      'CREATE TABLE b (id int);\n\nINSERT INTO b VALUES (1);\nINSERT INTO b\n  VALUES (1 / 0);',
    ),
    '003_later.sql': migration('CREATE TABLE c (id int);'),
  });
  const r = await migrate({ target: t, source: src });
  assert.equal(r.exitCode, ExitCode.runtime);
  assert.deepEqual(
    r.applied.map((a) => a.version),
    ['001'],
  );
  const f = r.failure!;
  assert.equal(f.version, '002');
  assert.equal(f.code, '22012');
  assert.match(f.message, /division by zero/);
  assert.equal(f.line, 5, 'line of the failing statement in the file (marker on line 1)');
  assert.match(f.file, /002_bad\.sql$/);
  const versions = (await db.query('SELECT version FROM pgward.migrations')).map((x) => x.version);
  assert.deepEqual(versions, ['001']);
  const tables = await db.query("SELECT to_regclass('b') AS b, to_regclass('c') AS c, to_regclass('a') AS a");
  assert.equal(tables[0]!.b, null, 'statements of the failed migration rolled back');
  assert.equal(tables[0]!.c, null, 'later migrations not attempted');
  assert.equal(tables[0]!.a, 'a');
});

test('a PostgreSQL error position points at the exact line inside a multi-line statement', async () => {
  const { t, src } = await setup({
    '001_typo.sql': migration('CREATE TABLE t (\n  id int,\n  name nosuchtype\n);'),
  });
  const r = await migrate({ target: t, source: src });
  assert.equal(r.failure?.code, '42704');
  assert.equal(r.failure?.line, 4);
  assert.equal(r.failure?.column, 8);
});

test('a syntax error in any pending file stops the run before anything is applied', async () => {
  const { db, t, src } = await setup({
    '001_ok.sql': migration('CREATE TABLE a (id int);'),
    '002_broken.sql': migration('CREATE TABLE b (id int);\nCREAT TABLE c (id int);'),
  });
  await assert.rejects(migrate({ target: t, source: src }), (e: unknown) => {
    assert.ok(e instanceof PgwardError);
    assert.match(e.message, /002_broken\.sql:3:1: syntax error in the up section/);
    return true;
  });
  const rows = await db.query("SELECT to_regclass('a') AS a");
  assert.equal(rows[0]!.a, null);
});

test('BEGIN/COMMIT or CONCURRENTLY in a transactional migration is refused before it runs', async () => {
  const { t, src } = await setup({ '001_tx.sql': migration('BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;') });
  await assert.rejects(migrate({ target: t, source: src }), /001_tx\.sql:2: transaction control/);
  const p2 = await setup({
    '001_idx.sql': migration('CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_i ON a (id);'),
  });
  await assert.rejects(
    migrate({ target: p2.t, source: p2.src }),
    /001_idx\.sql:3: CONCURRENTLY cannot run inside a transaction/,
  );
});

test('statement_timeout cancels a slow statement and rolls the migration back', async () => {
  const { db, t, src } = await setup(
    { '001_slow.sql': migration('CREATE TABLE s (id int);\nSELECT pg_sleep(5);') },
    { statementTimeoutMs: 200 },
  );
  const r = await migrate({ target: t, source: src });
  assert.equal(r.failure?.reason, 'statement-timeout');
  assert.equal(r.failure?.code, '57014');
  assert.equal(r.failure?.line, 3);
  const rows = await db.query(
    "SELECT to_regclass('s') AS s, (SELECT count(*)::int FROM pgward.migrations) AS n",
  );
  assert.equal(rows[0]!.s, null);
  assert.equal(rows[0]!.n, 0);
});

test('migration_timeout bounds the whole migration, even when each statement is quick', async () => {
  const { db, t, src } = await setup(
    {
      '001_many.sql': migration(
        'CREATE TABLE m (id int);\nSELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);',
      ),
    },
    { statementTimeoutMs: 10_000, migrationTimeoutMs: 500 },
  );
  const r = await migrate({ target: t, source: src });
  assert.equal(r.failure?.reason, 'migration-timeout');
  assert.match(r.failure!.message, /migration_timeout/);
  const rows = await db.query(
    "SELECT to_regclass('m') AS m, (SELECT count(*)::int FROM pgward.migrations) AS n",
  );
  assert.equal(rows[0]!.m, null);
  assert.equal(rows[0]!.n, 0);
});

test('a lock timeout is retried with backoff and succeeds once the lock is released', async () => {
  const { db, t, src } = await setup(
    { '001_alter.sql': migration('ALTER TABLE busy ADD COLUMN x int;') },
    { lockTimeoutMs: 100, lockRetries: 5 },
  );
  await db.query('CREATE TABLE busy (id int)');
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE busy IN ACCESS SHARE MODE');
  const events: MigrateEvent[] = [];
  const run = migrate({
    target: t,
    source: src,
    retryBackoffMs: 100,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'lock-retry' && e.attempt === 2) void holder.query('COMMIT');
    },
  });
  const r = await run;
  await holder.end();
  assert.equal(r.exitCode, 0);
  const retries = events.filter((e) => e.type === 'lock-retry');
  assert.ok(retries.length >= 2, `expected at least 2 retries, got ${retries.length}`);
  assert.equal(r.applied[0]!.attempts, retries.length + 1);
  const cols = await db.query(
    "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'busy' AND column_name = 'x'",
  );
  assert.equal(cols[0]!.n, 1);
});

test('lock retries give up after lock_retries and record nothing', async () => {
  const { db, t, src } = await setup(
    { '001_alter.sql': migration('CREATE TABLE side (id int);\nALTER TABLE busy ADD COLUMN x int;') },
    { lockTimeoutMs: 50, lockRetries: 2 },
  );
  await db.query('CREATE TABLE busy (id int)');
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  await holder.query('BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE');
  try {
    const r = await migrate({ target: t, source: src, retryBackoffMs: 20 });
    assert.equal(r.failure?.reason, 'lock-timeout');
    assert.equal(r.failure?.code, '55P03');
    assert.equal(r.failure?.attempts, 3);
    assert.equal(r.failure?.line, 3);
  } finally {
    await holder.end();
  }
  const rows = await db.query(
    "SELECT to_regclass('side') AS s, (SELECT count(*)::int FROM pgward.migrations) AS n",
  );
  assert.equal(rows[0]!.s, null);
  assert.equal(rows[0]!.n, 0);
});

test('drift, missing and out-of-order are detected; migrate refuses until allowed', async () => {
  const { dir, t, src } = await setup({
    '010_a.sql': migration('CREATE TABLE a (id int);'),
    '020_b.sql': migration('CREATE TABLE b (id int);'),
    '030_c.sql': migration('CREATE TABLE c (id int);'),
  });
  await migrate({ target: t, source: src });
  writeFile(dir, 'db/migrations/010_a.sql', migration('CREATE TABLE a (id bigint);'));
  rmSync(join(dir, 'db/migrations/020_b.sql'));
  writeFile(dir, 'db/migrations/015_late.sql', migration('CREATE TABLE late (id int);'));
  writeFile(dir, 'db/migrations/040_new.sql', migration('CREATE TABLE d (id int);'));
  const s = await getStatus({ target: t, source: src });
  assert.equal(s.exitCode, ExitCode.drift);
  const state = Object.fromEntries(s.entries.map((e) => [e.version, e.state]));
  assert.deepEqual(state, {
    '010': 'drifted',
    '015': 'out-of-order',
    '020': 'missing',
    '030': 'applied',
    '040': 'pending',
  });
  await assert.rejects(migrate({ target: t, source: src }), (e: unknown) => {
    assert.ok(e instanceof PgwardError);
    assert.equal(e.exitCode, ExitCode.drift);
    assert.match(e.message, /010_a/);
    assert.match(e.message, /020_b/);
    return true;
  });
  await assert.rejects(
    migrate({ target: t, source: src, allowDrift: true }),
    /older than the newest applied one: 015_late/,
  );
  const r = await migrate({ target: t, source: src, allowDrift: true, allowOutOfOrder: true });
  assert.deepEqual(
    r.applied.map((a) => a.version),
    ['015', '040'],
  );
});

test('--to stops at a version; --dry-run prints the plan and touches nothing', async () => {
  const { db, t, src } = await setup({
    '001_a.sql': migration('CREATE TABLE a (id int);'),
    '002_b.sql': migration('CREATE TABLE b (id int);\nCREATE TABLE b2 (id int);'),
    '003_c.sql': migration('CREATE TABLE c (id int);'),
  });
  const dry = await migrate({ target: t, source: src, dryRun: true });
  assert.equal(dry.dryRun, true);
  assert.deepEqual(
    dry.planned.map((p) => [p.version, p.statements.length]),
    [
      ['001', 1],
      ['002', 2],
      ['003', 1],
    ],
  );
  const none = await db.query("SELECT to_regnamespace('pgward') AS s, to_regclass('a') AS a");
  assert.equal(none[0]!.s, null, 'dry run must not even create the history schema');
  assert.equal(none[0]!.a, null);
  const r = await migrate({ target: t, source: src, to: '002' });
  assert.deepEqual(
    r.applied.map((a) => a.version),
    ['001', '002'],
  );
  await assert.rejects(migrate({ target: t, source: src, to: '999' }), /no migration file has that version/);
});

test('no-transaction files run statement by statement; a failure part-way is reported as partial', async () => {
  const { db, dir, t, src } = await setup({
    '001_table.sql': migration(
      "CREATE TABLE items (id int, sku text);\nINSERT INTO items VALUES (1, 'a'), (2, 'a');",
    ),
    '002_indexes.sql': migration(
      'CREATE INDEX CONCURRENTLY items_id ON items (id);\nCREATE UNIQUE INDEX CONCURRENTLY items_sku ON items (sku);',
      'DROP INDEX CONCURRENTLY IF EXISTS items_sku;\nDROP INDEX CONCURRENTLY IF EXISTS items_id;',
      { noTransaction: true },
    ),
  });
  const r = await migrate({ target: t, source: src });
  assert.equal(r.failure?.version, '002');
  assert.equal(r.failure?.code, '23505');
  assert.equal(r.failure?.statementsDone, 1);
  assert.equal(r.failure?.line, 4);
  const s = await getStatus({ target: t, source: src });
  assert.equal(s.exitCode, ExitCode.drift);
  const partial = s.entries.find((e) => e.version === '002')!;
  assert.equal(partial.state, 'partial');
  assert.match(partial.note!, /1 of 2 statements/);
  const applied = await db.query('SELECT version FROM pgward.migrations ORDER BY version');
  assert.deepEqual(
    applied.map((x) => x.version),
    ['001'],
  );
  await assert.rejects(migrate({ target: t, source: src }), /stopped part-way: 002_indexes/);

  // Fix the data and the file (idempotent), then retry explicitly.
  await db.query("UPDATE items SET sku = 'b' WHERE id = 2");
  const invalid = await db.query(
    "SELECT count(*)::int AS n FROM pg_index WHERE indexrelid = 'items_sku'::regclass AND NOT indisvalid",
  );
  assert.equal(invalid[0]!.n, 1, 'the failed CONCURRENTLY build left an INVALID index');
  writeFileSync(
    join(dir, 'db/migrations/002_indexes.sql'),
    migration(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS items_id ON items (id);\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_sku ON items (sku);',
      'DROP INDEX CONCURRENTLY IF EXISTS items_sku;\nDROP INDEX CONCURRENTLY IF EXISTS items_id;',
      { noTransaction: true },
    ),
  );
  const events: MigrateEvent[] = [];
  const retry = await migrate({ target: t, source: src, retryPartial: true, onEvent: (e) => events.push(e) });
  assert.equal(retry.exitCode, 0);
  assert.deepEqual(
    events.filter((e) => e.type === 'invalid-index-dropped').map((e) => (e as { index: string }).index),
    ['public.items_sku'],
    'the invalid leftover was dropped before the retry, so IF NOT EXISTS rebuilt it',
  );
  const valid = await db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_sku'::regclass");
  assert.equal(valid[0]!.indisvalid, true);
  const after = await getStatus({ target: t, source: src });
  assert.equal(after.exitCode, ExitCode.ok);
  const left = await db.query('SELECT count(*)::int AS n FROM pgward.partial_migrations');
  assert.equal(left[0]!.n, 0);
  // and its down section (CONCURRENTLY again) rolls back outside a transaction too
  const rb = await rollback({ target: t, source: src });
  assert.equal(rb.exitCode, 0);
  const idx = await db.query("SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'items'");
  assert.equal(idx[0]!.n, 0);
});

test('rollback runs down sections newest first, by steps or down to a version', async () => {
  // (down sections drop tables: destructive, so the gate would pause 10 s before each rollback here)
  const { db, t, src } = await setup(
    {
      '001_a.sql': migration('CREATE TABLE a (id int);', 'DROP TABLE a;'),
      '002_b.sql': migration('CREATE TABLE b (id int);', 'DROP TABLE b;'),
      '003_c.sql': migration('CREATE TABLE c (id int);', 'DROP TABLE c;'),
    },
    { pauseSeconds: 0 },
  );
  await migrate({ target: t, source: src });
  const one = await rollback({ target: t, source: src });
  assert.deepEqual(
    one.rolledBack.map((x) => x.version),
    ['003'],
  );
  await migrate({ target: t, source: src });
  const toFirst = await rollback({ target: t, source: src, to: '001' });
  assert.deepEqual(
    toFirst.rolledBack.map((x) => x.version),
    ['003', '002'],
  );
  const rows = await db.query("SELECT to_regclass('a') AS a, to_regclass('b') AS b, to_regclass('c') AS c");
  assert.deepEqual(rows[0], { a: 'a', b: null, c: null });
  const s = await getStatus({ target: t, source: src });
  assert.deepEqual(
    s.pending.map((p) => p.version),
    ['002', '003'],
  );
});

test('rollback refuses when a down section is missing, and rolls back nothing', async () => {
  const { db, t, src } = await setup({
    '001_a.sql': migration('CREATE TABLE a (id int);', 'DROP TABLE a;'),
    '002_b.sql': migration('CREATE TABLE b (id int);'),
    '003_c.sql': migration('CREATE TABLE c (id int);', 'DROP TABLE c;'),
  });
  await migrate({ target: t, source: src });
  await assert.rejects(rollback({ target: t, source: src, steps: 2 }), /002_b\.sql: it has no down section/);
  const n = await db.query('SELECT count(*)::int AS n FROM pgward.migrations');
  assert.equal(n[0]!.n, 3);
  const rows = await db.query("SELECT to_regclass('c') AS c");
  assert.equal(rows[0]!.c, 'c', 'the refusal happens before the first down section runs');
});

test('an interrupted run (abort signal) cancels the running statement, rolls back and records nothing', async () => {
  const { db, t, src } = await setup({
    '001_slow.sql': migration('CREATE TABLE s (id int);\nSELECT pg_sleep(30);'),
  });
  const controller = new AbortController();
  const run = migrate({
    target: t,
    source: src,
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'statement' && /pg_sleep/.test(e.sql)) setTimeout(() => controller.abort(), 200);
    },
  });
  const r = await run;
  assert.equal(r.exitCode, ExitCode.interrupted);
  assert.equal(r.failure?.reason, 'interrupted');
  assert.equal(r.failure?.code, '57014', 'the sleeping statement itself was cancelled, not waited for');
  const rows = await db.query(
    "SELECT to_regclass('s') AS s, (SELECT count(*)::int FROM pgward.migrations) AS n",
  );
  assert.equal(rows[0]!.s, null);
  assert.equal(rows[0]!.n, 0);
});

/** The connections open to the test's database right now, by application name. */
async function openSessions(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ a: string }>(
    'SELECT application_name AS a FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY 1',
  );
  return rows.map((r) => r.a);
}

test('invariant: the connections a run opens early are closed by the run: the pooler probe before the first migration, the rest at the end', async () => {
  // The migration records which pgward sessions are open while it runs.
  const { db, t, src } = await setup({
    '001_seen.sql': migration(
      "CREATE TABLE seen AS SELECT application_name AS a FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgward%';",
      'DROP TABLE seen;',
    ),
  });
  const r = await migrate({ target: t, source: src, connections: connectEarly(t, { dryRun: false }) });
  assert.equal(r.exitCode, 0);
  const seen = (await db.query<{ a: string }>('SELECT a FROM seen ORDER BY a')).map((x) => x.a);
  assert.equal(seen.length, 1, `pgward sessions open during the migration: ${seen.join(', ')}`);
  assert.doesNotMatch(seen[0]!, /probe/);
  await waitFor(async () => (await openSessions(db)).length === 0, 'no session left open after the run');

  // The CLI opens them while it loads the runner: the same holds there.
  const cli = await setup({
    '001_seen.sql': migration(
      "CREATE TABLE seen AS SELECT application_name AS a FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgward%';",
    ),
  });
  const run = await runCli(['migrate', '--url', cli.db.url, '--dir', cli.src.dir]);
  assert.equal(run.code, 0, run.stderr);
  const seenByCli = (await cli.db.query<{ a: string }>('SELECT a FROM seen')).map((x) => x.a);
  assert.equal(
    seenByCli.length,
    1,
    `pgward sessions open during the CLI's migration: ${seenByCli.join(', ')}`,
  );
});

test('invariant: early connections are closed when the run cannot start (a missing migrations directory)', async () => {
  const { db, t } = await setup({});
  const early = connectEarly(t, { dryRun: false });
  await early.session; // both open before the run fails
  await early.probe;
  await assert.rejects(
    migrate({ target: t, source: source('/nonexistent-pgward-dir'), connections: early }),
    PgwardError,
  );
  await waitFor(async () => (await openSessions(db)).length === 0, 'no session left open after the refusal');
});

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  // A closed client's backend leaves pg_stat_activity a moment after the client is told it ended.
  for (let i = 0; i < 50; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(what);
}
