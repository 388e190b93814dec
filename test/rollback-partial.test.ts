// A no-transaction rollback that stops part-way leaves the database in neither state: it must be
// recorded as a partial rollback, and every reader (status, migrate, rollback, /health) must say so.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';
import { afterRefreshes, getJson, startServe } from './harness/serve.js';

function project(files: Record<string, string>) {
  return makeProject({
    'pgward.yaml': [
      'environments:',
      '  staging:',
      '    url: ${DB_URL}',
      '    policy:',
      '      pause_seconds: 0',
      'serve:',
      '  refresh_interval: 200ms',
    ].join('\n'),
    ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v])),
  });
}

// Three down statements; the third fails while a view depends on p1 (nothing a linter can foresee).
const threeTables = migration(
  'CREATE TABLE p1 (id int);\nCREATE TABLE p2 (id int);\nCREATE TABLE p3 (id int);',
  'DROP TABLE IF EXISTS p3;\nDROP TABLE IF EXISTS p2;\nDROP TABLE IF EXISTS p1;',
  { noTransaction: true },
);

test('invariant: a rollback that stopped part-way is recorded as partial and status exits 4', async () => {
  const db = await createTestDatabase();
  const dir = project({
    '001_base.sql': migration('CREATE TABLE base (id int);'),
    '002_tables.sql': threeTables,
  });
  const env = { DB_URL: db.url };
  const cli = (args: string[]) => runCli([...args, '--env', 'staging'], { cwd: dir, env });
  assert.equal((await cli(['migrate'])).code, 0);
  await db.query('CREATE VIEW v1 AS SELECT * FROM p1');

  const rb = await cli(['rollback']);
  assert.equal(rb.code, 1, rb.stderr);
  assert.match(rb.stderr, /rollback of 002_tables failed: 2 statement\(s\)/);
  assert.match(rb.stderr, /002_tables\.sql:10/, 'names the line of the failing down statement');
  const tables = await db.query(
    "SELECT to_regclass('p1') AS p1, to_regclass('p2') AS p2, to_regclass('p3') AS p3",
  );
  assert.deepEqual(tables[0], { p1: 'p1', p2: null, p3: null }, 'two of three down statements ran');

  const status = await cli(['status', '--json']);
  assert.equal(status.code, 4, status.stderr);
  const entry = JSON.parse(status.stdout).entries.find((e: { version: string }) => e.version === '002');
  assert.equal(entry.state, 'partial');
  assert.equal(entry.direction, 'down');
  assert.match(entry.note, /rollback stopped after 2 of 3 statements \(line 10\)/);
  const human = await cli(['status']);
  assert.equal(human.code, 4);
  assert.match(human.stdout, /002\s+tables\s+partial/);
  assert.doesNotMatch(human.stdout, /up to date/);
  const marker = await db.query('SELECT direction, statements_done FROM pgward.partial_migrations');
  assert.deepEqual(marker, [{ direction: 'down', statements_done: 2 }]);
});

test('invariant: nothing migrates or rolls back over a partial rollback until it is retried explicitly', async () => {
  const db = await createTestDatabase();
  const dir = project({
    '001_base.sql': migration('CREATE TABLE base (id int);'),
    '002_tables.sql': threeTables,
  });
  const env = { DB_URL: db.url };
  const cli = (args: string[]) => runCli([...args, '--env', 'staging'], { cwd: dir, env });
  assert.equal((await cli(['migrate'])).code, 0);
  await db.query('CREATE VIEW v1 AS SELECT * FROM p1');
  assert.equal((await cli(['rollback'])).code, 1);

  for (const args of [['migrate'], ['migrate', '--retry-partial'], ['rollback'], ['rollback', '--dry-run']]) {
    const r = await cli(args);
    assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /a rollback stopped part-way: 002_tables/);
    assert.match(r.stderr, /pgward rollback --retry-partial/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'one clear line, no stack trace');
  }
  // --retry-partial must cover the partial one: rolling back more is fine, skipping it is not.
  const skip = await cli(['rollback', '--retry-partial', '--to', '002']);
  assert.notEqual(skip.code, 0);

  await db.query('DROP VIEW v1');
  const retry = await cli(['rollback', '--retry-partial']);
  assert.equal(retry.code, 0, retry.stderr);
  const status = await cli(['status', '--json']);
  assert.equal(status.code, 3, status.stderr);
  assert.deepEqual(
    JSON.parse(status.stdout).pending.map((p: { version: string }) => p.version),
    ['002'],
  );
  const left = await db.query(
    "SELECT count(*)::int AS n, to_regclass('p1') AS p1 FROM pgward.partial_migrations",
  );
  assert.deepEqual(left[0], { n: 0, p1: null });
});

test('invariant: /health and /health/migrations report a partial rollback as needing attention', async () => {
  const db = await createTestDatabase();
  const dir = project({ '002_tables.sql': threeTables });
  const env = { DB_URL: db.url };
  const cli = (args: string[]) => runCli([...args, '--env', 'staging'], { cwd: dir, env });
  assert.equal((await cli(['migrate'])).code, 0);
  await db.query('CREATE VIEW v1 AS SELECT * FROM p1');
  assert.equal((await cli(['rollback'])).code, 1);
  const s = await startServe(dir, ['--env', 'staging'], env);
  try {
    await afterRefreshes(s.url);
    const mig = await getJson(`${s.url}/health/migrations`);
    assert.equal(mig.status, 200);
    assert.equal(mig.json.status, 'attention');
    assert.deepEqual(mig.json.attention, [
      { version: '002', name: 'tables', state: 'partial', direction: 'down' },
    ]);
    const h = await getJson(`${s.url}/health`);
    assert.equal(h.json.status, 'degraded');
    assert.equal(h.json.migrations.status, 'attention');
  } finally {
    await s.stop();
  }
});

test('invariant: nothing rolls back over a migration whose up section stopped part-way', async () => {
  const db = await createTestDatabase();
  const dir = project({
    '001_base.sql': migration('CREATE TABLE base (id int);', 'DROP TABLE base;'),
    '002_half.sql': migration(
      'CREATE TABLE half (id int);\nSELECT 1 / (SELECT count(*)::int FROM base);',
      'DROP TABLE IF EXISTS half;',
      {
        noTransaction: true,
      },
    ),
  });
  const env = { DB_URL: db.url };
  const cli = (args: string[]) => runCli([...args, '--env', 'staging'], { cwd: dir, env });
  assert.equal((await cli(['migrate'])).code, 1);
  const r = await cli(['rollback']);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /refusing to roll back: no-transaction migrations stopped part-way: 002_half/);
  assert.match(r.stderr, /pgward migrate --retry-partial/);
  const rows = await db.query("SELECT to_regclass('base') AS base, to_regclass('half') AS half");
  assert.deepEqual(rows[0], { base: 'base', half: 'half' });
});
