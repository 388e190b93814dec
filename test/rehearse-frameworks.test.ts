// `pgward rehearse` for projects whose migrations another framework runs (real Rails and Alembic apps):
// the framework's own command runs on a throwaway copy behind the guard; each statement is traced with
// its migration, locks and rewrites; what production's policy would refuse is reported, not enforced;
// the environment is untouched and the copy is gone afterwards.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Cluster, startCluster } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import {
  type AddedMigration,
  alembicApp,
  appEnv,
  djangoApp,
  expectedTracking,
  type FrameworkApp,
  knexApp,
  nodePgMigrateApp,
  type RealFramework,
  railsApp,
  runApp,
  TRACKING_QUERIES,
} from './harness/frameworks.js';
import { runCli } from './harness/project.js';

let rehearsalCluster: Cluster;

before(async () => {
  rehearsalCluster = await startCluster();
});
after(() => rehearsalCluster?.stop());

interface Case {
  make(): FrameworkApp;
  /** A migration that rewrites accounts (balance int → bigint), in the framework's own words. */
  rewrite: (app: FrameworkApp) => string;
  /** Also the budget and failure cases (the others get the main case only, to keep the suite short). */
  full: boolean;
}

const ALTER_TYPE = 'ALTER TABLE accounts ALTER COLUMN balance TYPE bigint';

const CASES: Record<RealFramework, Case> = {
  rails: { make: railsApp, rewrite: () => 'change_column :accounts, :balance, :bigint', full: true },
  alembic: {
    make: alembicApp,
    rewrite: () => 'op.alter_column("accounts", "balance", type_=sa.BigInteger())',
    full: true,
  },
  django: { make: djangoApp, rewrite: (app) => app.sql(ALTER_TYPE), full: false },
  knex: { make: knexApp, rewrite: (app) => app.sql(ALTER_TYPE), full: false },
  'node-pg-migrate': { make: nodePgMigrateApp, rewrite: (app) => app.sql(ALTER_TYPE), full: false },
};

/** The version pgward reports for a migration (Django's carry their app). */
const reported = (app: FrameworkApp, m: AddedMigration) =>
  app.framework === 'django' ? `shop.${m.version}` : m.version;

function configure(app: FrameworkApp, db: TestDatabase, maxLockSeconds: number): void {
  writeFileSync(
    join(app.root, 'pgward.yaml'),
    `migrations:
  framework: ${app.framework}
  dir: ${app.framework === 'django' ? '.' : relative(app.root, app.migrationsDir)}
environments:
  production:
    url: ${db.url}
rehearsal:
  server: ${rehearsalCluster.url('postgres')}
  max_lock_seconds: ${maxLockSeconds}
`,
  );
}

function rehearse(app: FrameworkApp, db: TestDatabase, ...args: string[]) {
  const env = appEnv(app, db.url);
  delete env.DATABASE_URL;
  return runCli(['rehearse', '--env', 'production', ...args], { cwd: app.root, env });
}

async function scratchDatabases(): Promise<string[]> {
  const rows = await adminQuery(
    rehearsalCluster.url('postgres'),
    "SELECT datname FROM pg_database WHERE datname LIKE 'pgward_rehearse%'",
  );
  return rows.map((r) => r.datname as string);
}

/** What the environment holds: every relation with its relfilenode, every column with its type, the tracking rows. */
async function fingerprint(app: FrameworkApp, db: TestDatabase): Promise<string> {
  const rels = await db.query(
    `SELECT n.nspname || '.' || c.relname || ':' || c.relfilenode AS r FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1`,
  );
  const cols = await db.query(
    `SELECT table_name || '.' || column_name || ':' || data_type AS c FROM information_schema.columns
      WHERE table_schema = 'public' ORDER BY 1`,
  );
  const tracked = await db.query(TRACKING_QUERIES[app.framework]);
  return JSON.stringify([rels.map((r) => r.r), cols.map((c) => c.c), tracked.map((t) => t.v)]);
}

for (const [framework, c] of Object.entries(CASES)) {
  describe(`rehearse ${framework}`, () => {
    let db: TestDatabase;
    let app: FrameworkApp;
    let rewrite: AddedMigration;
    let drop: AddedMigration;

    before(async () => {
      db = await createTestDatabase();
      app = c.make();
      const first = app.addMigration(
        'accounts',
        app.sql(`CREATE TABLE accounts (id bigint PRIMARY KEY, email text, balance int, note text);
INSERT INTO accounts SELECT g, 'a' || g || '@x.example', g, 'n' FROM generate_series(1, 20000) g;`),
      );
      const ran = await runApp(app, db.url);
      assert.equal(ran.code, 0, ran.stderr);
      const tracked = await db.query(TRACKING_QUERIES[app.framework]);
      assert.deepEqual(
        tracked.map((r) => String(r.v)),
        expectedTracking(app.framework, [first]),
      );
      rewrite = app.addMigration('widen_balance', c.rewrite(app));
      // Destructive: production's policy blocks it until approved; a rehearsal runs it and says so.
      drop = app.addMigration('drop_note', app.sql('ALTER TABLE accounts DROP COLUMN note'));
    });
    after(() => app?.remove());

    test(`invariant: ${framework} — a rehearsal traces the rewrite with its ACCESS EXCLUSIVE lock, reports what production would refuse, leaves the environment untouched and the copy gone`, async () => {
      configure(app, db, 600);
      const envBefore = await fingerprint(app, db);
      const r = await rehearse(app, db, '--json');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.framework, framework);
      assert.deepEqual(
        doc.migrations.map((m: { version: string; status: string }) => `${m.version}:${m.status}`),
        [`${reported(app, rewrite)}:applied`, `${reported(app, drop)}:applied`],
      );
      const [m, d] = doc.migrations;
      assert.equal(m.worstLock.mode, 'AccessExclusiveLock');
      assert.equal(m.worstLock.relation, 'public.accounts');
      assert.equal(m.worstLock.blocking, true);
      assert.ok(m.rewrites.includes('public.accounts'), `rewrite seen: ${JSON.stringify(m.statements)}`);
      const alter = m.statements.find((s: { sql: string }) => /ALTER TABLE/i.test(s.sql));
      assert.ok(alter, 'the ALTER is a statement of its migration');
      assert.ok(alter.rewrites.includes('public.accounts'));
      assert.ok(
        alter.locks.some(
          (l: { mode: string; relation: string }) =>
            l.mode === 'AccessExclusiveLock' && l.relation === 'public.accounts',
        ),
      );
      assert.ok(m.worstLock.heldMs >= alter.ms, 'held from its statement to the end of its transaction');
      // The DROP ran on the copy, and the report says production would have refused it.
      const dropped = d.statements.find((s: { sql: string }) => /DROP COLUMN note/i.test(s.sql));
      assert.ok(dropped, 'the DROP is a statement of its own migration');
      assert.match(dropped.refusedInProduction, /blocks this destructive statement/);
      assert.equal(
        m.statements.some((s: { refusedInProduction?: string }) => s.refusedInProduction),
        false,
      );

      assert.equal(await fingerprint(app, db), envBefore, 'the environment is untouched');
      assert.deepEqual(await scratchDatabases(), [], 'the copy is gone');

      const human = await rehearse(app, db);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /migrated by [\w-]+ behind the guard/);
      assert.match(human.stdout, /ACCESS EXCLUSIVE on public\.accounts \(\d+\.\d+s\)/);
      assert.match(human.stdout, /production would refuse this statement/);
      assert.equal(await fingerprint(app, db), envBefore);
    });

    test(`invariant: ${framework} — over the lock budget a rehearsal exits 9, names the lock, and still leaves nothing behind`, {
      skip: !c.full,
    }, async () => {
      configure(app, db, 0);
      const envBefore = await fingerprint(app, db);
      const r = await rehearse(app, db);
      assert.equal(r.code, 9, r.stderr + r.stdout);
      assert.match(r.stdout, /over budget/);
      assert.match(r.stdout, /ACCESS EXCLUSIVE on public\.accounts held [\d.]+s > 0s/);
      assert.equal(await fingerprint(app, db), envBefore);
      assert.deepEqual(await scratchDatabases(), []);
    });

    test(`invariant: ${framework} — a migration that fails on the copy fails the rehearsal (exit 1) with its error, and leaves nothing behind`, {
      skip: !c.full,
    }, async () => {
      configure(app, db, 600);
      const bad = app.addMigration(
        'tier_not_null',
        app.sql(
          'ALTER TABLE accounts ADD COLUMN tier int; ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;',
        ),
      );
      const envBefore = await fingerprint(app, db);
      const r = await rehearse(app, db, '--json');
      assert.equal(r.code, 1, r.stderr + r.stdout);
      const m = JSON.parse(r.stdout).migrations.find(
        (x: { version: string }) => x.version === reported(app, bad),
      );
      assert.equal(m.status, 'failed');
      assert.equal(m.verdict, 'failed');
      assert.match(m.error.message, /contains null values/);
      assert.equal(await fingerprint(app, db), envBefore);
      assert.deepEqual(await scratchDatabases(), []);
    });
  });
}

test('invariant: a framework whose own configuration reaches the environment directly is caught: the rehearsal fails loudly, it does not report', async () => {
  const db = await createTestDatabase();
  const app = railsApp();
  try {
    app.addMigration('accounts', app.sql('CREATE TABLE accounts (id bigint PRIMARY KEY)'));
    assert.equal((await runApp(app, db.url)).code, 0);
    app.addMigration('more', app.sql('CREATE TABLE more (id int)'));
    // A deploy script with production's URL written in: no variable pgward could keep from it.
    writeFileSync(
      join(app.root, 'bin/migrate-direct'),
      `#!/bin/sh\nDATABASE_URL='${db.url}' exec bin/rails db:migrate\n`,
      { mode: 0o755 },
    );
    configure(app, db, 600);
    writeFileSync(
      join(app.root, 'pgward.yaml'),
      readFileSync(join(app.root, 'pgward.yaml'), 'utf8').replace(
        'migrations:\n',
        'migrations:\n  command: bin/migrate-direct\n',
      ),
    );
    const r = await rehearse(app, db);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stderr, /own migration history changed during the rehearsal/);
    assert.doesNotMatch(r.stdout, /ok: every migration within budget/);
    assert.deepEqual(await scratchDatabases(), []);
  } finally {
    app.remove();
  }
});
