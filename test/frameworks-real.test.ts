// The real frameworks, run directly (no pgward in between): each harness app migrates the database its
// environment names, records what it applied in its own tracking table, has nothing to do the second time,
// and a failing migration exits non-zero with its DDL rolled back — within the transaction scope each
// framework documents (one per migration, or one for the whole run). pgward's read-only `status` must
// agree with what the framework did. These apps are what the guard's tests and bench:frameworks run.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../src/errors.js';
import { ADAPTERS } from '../src/frameworks/index.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import {
  expectedTracking,
  FRAMEWORK_APPS,
  type FrameworkApp,
  REAL_FRAMEWORKS,
  type RealFramework,
  runApp,
  TRACKING_QUERIES,
} from './harness/frameworks.js';
import { runCli } from './harness/project.js';

/** What the framework's tracking table holds for the applied migrations, oldest first. */
async function trackedRows(fw: RealFramework, db: TestDatabase): Promise<string[]> {
  return (await db.query<{ v: string }>(TRACKING_QUERIES[fw])).map((r) => r.v);
}

/**
 * Whether a failure rolls back only the failing migration or everything that run applied: Rails and
 * Django wrap each migration, Alembic, Knex and node-pg-migrate's CLI wrap all pending ones in one
 * transaction by default (shared/research/frameworks-guard.md).
 */
const TRANSACTION_SCOPE: Record<RealFramework, 'per-migration' | 'whole-run'> = {
  rails: 'per-migration',
  django: 'per-migration',
  alembic: 'whole-run',
  knex: 'whole-run',
  'node-pg-migrate': 'whole-run',
};

async function tableExists(db: TestDatabase, name: string): Promise<boolean> {
  const rows = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`public.${name}`]);
  return rows[0]!.t !== null;
}

async function columns(db: TestDatabase, table: string): Promise<string[]> {
  const rows = await db.query<{ c: string }>(
    "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  return rows.map((r) => r.c);
}

/** pgward's read-only status of the app's migrations: the exit code and the applied/pending counts. */
async function pgwardStatus(app: FrameworkApp, db: TestDatabase) {
  const r = await runCli([
    'status',
    '--framework',
    app.framework,
    '--dir',
    app.migrationsDir,
    '--url',
    db.url,
    '--json',
  ]);
  assert.ok(r.stdout.trim().startsWith('{'), `status printed no JSON (exit ${r.code}): ${r.stderr}`);
  const json = JSON.parse(r.stdout) as { counts: { applied: number; pending: number } };
  return { code: r.code, applied: json.counts.applied, pending: json.counts.pending };
}

function output(r: { code: number | null; stdout: string; stderr: string }): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
}

for (const fw of REAL_FRAMEWORKS) {
  // Django's read-only adapter is not written yet: its app is checked against its own table only.
  const withStatus = fw !== 'django';

  test(`${fw}: the real framework migrates the database its environment names, once, and rolls back a failure`, async (t) => {
    const db = await createTestDatabase();
    const app = FRAMEWORK_APPS[fw]();
    t.after(() => app.remove());

    const first = [
      app.addMigration('create_items', app.sql('CREATE TABLE items (id bigint PRIMARY KEY);')),
      app.addMigration(
        'add_note_to_items',
        app.sql('ALTER TABLE items ADD COLUMN note text;\nCREATE INDEX items_note_idx ON items (note);'),
      ),
    ];
    if (withStatus) {
      assert.equal(ADAPTERS[fw as Exclude<RealFramework, 'django'>].detectFiles(app.migrationsDir), true);
      assert.deepEqual(await pgwardStatus(app, db), { code: ExitCode.pending, applied: 0, pending: 2 });
    }

    const run1 = await runApp(app, db.url);
    assert.equal(run1.code, 0, output(run1));
    assert.deepEqual(await columns(db, 'items'), ['id', 'note']);
    assert.equal(await tableExists(db, 'items_note_idx'), true);
    assert.deepEqual(await trackedRows(fw, db), expectedTracking(fw, first));
    if (withStatus)
      assert.deepEqual(await pgwardStatus(app, db), { code: ExitCode.ok, applied: 2, pending: 0 });

    // Nothing pending: the command succeeds and records nothing new.
    const run2 = await runApp(app, db.url);
    assert.equal(run2.code, 0, output(run2));
    assert.deepEqual(await trackedRows(fw, db), expectedTracking(fw, first));

    // A good migration, then one whose second statement fails, in one run.
    const good = app.addMigration('create_tags', app.sql('CREATE TABLE tags (id bigint PRIMARY KEY);'));
    app.addMigration('broken', app.sql('CREATE TABLE broken (id bigint);\nSELECT 1/0;'));
    const run3 = await runApp(app, db.url);
    assert.notEqual(run3.code, 0, output(run3));
    assert.match(run3.stdout + run3.stderr, /division by zero/, output(run3));
    assert.equal(await tableExists(db, 'broken'), false, 'the failing migration left its table behind');
    const perMigration = TRANSACTION_SCOPE[fw] === 'per-migration';
    assert.equal(await tableExists(db, 'tags'), perMigration, `${fw} commits ${TRANSACTION_SCOPE[fw]}`);
    const applied = perMigration ? [...first, good] : first;
    assert.deepEqual(await trackedRows(fw, db), expectedTracking(fw, applied));
    if (withStatus) {
      assert.deepEqual(await pgwardStatus(app, db), {
        code: ExitCode.pending,
        applied: applied.length,
        pending: 4 - applied.length,
      });
    }
  });
}

for (const fw of REAL_FRAMEWORKS) {
  test(`${fw}: the framework's own transaction opt-out runs CREATE INDEX CONCURRENTLY, which fails without it`, async (t) => {
    const outcome = async (transaction: boolean) => {
      const db = await createTestDatabase();
      const app = FRAMEWORK_APPS[fw]();
      t.after(() => app.remove());
      app.addMigration('create_items', app.sql('CREATE TABLE items (id bigint PRIMARY KEY);'));
      const conc = app.sql('CREATE INDEX CONCURRENTLY items_id_idx ON items (id);');
      app.addMigration('index_items', conc, transaction ? {} : { transaction: false });
      const r = await runApp(app, db.url);
      return { r, db, index: await tableExists(db, 'items_id_idx') };
    };
    const optedOut = await outcome(false);
    assert.equal(optedOut.r.code, 0, output(optedOut.r));
    assert.equal(optedOut.index, true);
    const inTransaction = await outcome(true);
    assert.notEqual(inTransaction.r.code, 0, output(inTransaction.r));
    assert.match(inTransaction.r.stdout + inTransaction.r.stderr, /cannot run inside a transaction block/);
    assert.equal(inTransaction.index, false);
  });
}

test('the apps have the files their frameworks (and layout discovery) look for', () => {
  const markers: Record<RealFramework, string[]> = {
    rails: ['Gemfile', 'Rakefile', 'bin/rails', 'config/application.rb', 'config/database.yml', 'db/migrate'],
    alembic: ['alembic.ini', 'alembic/env.py', 'alembic/script.py.mako', 'alembic/versions'],
    django: ['manage.py', 'shopsite/settings.py', 'shop/migrations/__init__.py'],
    knex: ['knexfile.js', 'package.json', 'migrations'],
    'node-pg-migrate': ['package.json', 'migrations'],
  };
  for (const fw of REAL_FRAMEWORKS) {
    const app = FRAMEWORK_APPS[fw]();
    try {
      for (const rel of markers[fw]) assert.ok(existsSync(join(app.root, rel)), `${fw}: ${rel} missing`);
      const added = app.addMigration('first_one', app.sql('SELECT 1;'));
      assert.ok(added.file.startsWith(app.migrationsDir), `${fw}: ${added.file} not in ${app.migrationsDir}`);
    } finally {
      app.remove();
    }
    assert.equal(existsSync(app.root), false);
  }
});
