// `pgward migrate` running each real framework's own migrate command behind the guard (Rails, Alembic,
// Django, Knex, node-pg-migrate, installed by .ci/run): a destructive statement in a pending migration
// is refused in production with nothing of that migration applied, the approval unblocks exactly that
// file, and the audit names every statement with its migration.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import {
  appEnv,
  FRAMEWORK_APPS,
  type FrameworkApp,
  REAL_FRAMEWORKS,
  type RealFramework,
  TRACKING_QUERIES,
} from './harness/frameworks.js';
import { runCli } from './harness/project.js';

/** The app, with a pgward.yaml whose production environment is the test database. */
function project(framework: RealFramework, db: TestDatabase, environments?: string): FrameworkApp {
  const app = FRAMEWORK_APPS[framework]();
  const dir = framework === 'django' ? '.' : relative(app.root, app.migrationsDir);
  writeFileSync(
    join(app.root, 'pgward.yaml'),
    `migrations:\n  framework: ${framework}\n  dir: ${dir}\nenvironments:\n${environments ?? `  production:\n    url: ${db.url}\n`}`,
  );
  return app;
}

function migrate(app: FrameworkApp, db: TestDatabase, ...args: string[]) {
  const env = appEnv(app, db.url);
  delete env.DATABASE_URL;
  return runCli(['migrate', '--env', 'production', '--json', ...args], {
    cwd: app.root,
    env,
  });
}

async function tracked(framework: RealFramework, db: TestDatabase): Promise<string[]> {
  const rows = await db.query(TRACKING_QUERIES[framework]).catch(() => []);
  return rows.map((r) => String(r.v));
}

for (const framework of REAL_FRAMEWORKS) {
  test(`invariant: ${framework} — a destructive statement in a pending migration is refused in production, nothing of it applies, and the approval unblocks exactly that file`, async (t) => {
    const db = await createTestDatabase();
    await db.query(
      "CREATE TABLE customers (id int primary key, email text); INSERT INTO customers VALUES (1, 'a@b.c')",
    );
    const app = project(framework, db);
    t.after(() => app.remove());
    const v = (m: { version: string }) => (framework === 'django' ? `shop.${m.version}` : m.version);
    const first = app.addMigration(
      'add_notes',
      app.sql('CREATE TABLE notes (id int primary key, body text)'),
    );
    const first_ok = await migrate(app, db);
    assert.equal(first_ok.code, 0, first_ok.stderr + first_ok.stdout);
    const doc1 = JSON.parse(first_ok.stdout);
    assert.deepEqual(doc1.applied, [v(first)]);

    const drop = app.addMigration(
      'drop_email',
      app.sql('CREATE TABLE side (id int); ALTER TABLE customers DROP COLUMN email'),
    );
    const refused = await migrate(app, db);
    assert.equal(refused.code, 6, refused.stderr + refused.stdout);
    const doc = JSON.parse(refused.stdout);
    // Refused ahead by the static reading (nothing ran), or on the wire (the framework rolled back).
    if (doc.refused) {
      assert.match(doc.refused.message, /blocks this destructive statement/);
      assert.equal(doc.refused.version, v(drop), refused.stdout);
    } else assert.deepEqual(doc.blocked, [v(drop)], refused.stdout);
    const cols = await db.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'",
    );
    assert.ok(
      cols.some((c) => c.column_name === 'email'),
      'the column is still there',
    );
    assert.equal(
      (await db.query("SELECT to_regclass('side') AS r"))[0]!.r,
      null,
      'nothing of the migration applied',
    );
    assert.ok(!(await tracked(framework, db)).includes(drop.version));

    const approved = await migrate(app, db, '--approve', v(drop));
    assert.equal(approved.code, 0, approved.stderr + approved.stdout);
    assert.deepEqual(JSON.parse(approved.stdout).applied, [v(drop)]);
    const audit = await db.query(
      `SELECT s.version, s.statement, s.outcome FROM pgward.guard_statements s
         JOIN pgward.guard_runs r ON r.id = s.run_id WHERE r.id = $1 ORDER BY seq`,
      [JSON.parse(approved.stdout).auditRun],
    );
    const dropRow = audit.find((a) => /DROP COLUMN email/i.test(a.statement));
    assert.ok(dropRow, 'the audit holds the statement');
    assert.equal(dropRow.version, v(drop));
  });
}

/** A destructive statement built at run time: no static reading can see it, only the guard on the wire. */
const DYNAMIC: Partial<Record<RealFramework, string>> = {
  rails: 'execute(%w[ALTER TABLE customers DROP COLUMN email].join(" "))',
  knex: "await knex.raw(['ALTER TABLE customers', 'DROP COLUMN email'].join(' '));",
  'node-pg-migrate': "pgm.sql(['ALTER TABLE customers', 'DROP COLUMN email'].join(' '));",
};

for (const [framework, body] of Object.entries(DYNAMIC) as [RealFramework, string][]) {
  test(`invariant: ${framework} — what a static reading cannot see is refused on the wire, and nothing of that migration applies`, async (t) => {
    const db = await createTestDatabase();
    await db.query(
      "CREATE TABLE customers (id int primary key, email text); INSERT INTO customers VALUES (1, 'a@b.c')",
    );
    const app = project(framework, db);
    t.after(() => app.remove());
    app.addMigration('side_table', app.sql('CREATE TABLE side (id int)'));
    const drop = app.addMigration('drop_email', body);
    const res = await migrate(app, db);
    assert.equal(res.code, 6, res.stderr + res.stdout);
    const doc = JSON.parse(res.stdout);
    assert.deepEqual(doc.blocked, [], 'the static reading saw nothing to block');
    assert.equal(doc.refused.version, drop.version);
    const cols = await db.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'email'",
    );
    assert.equal(cols.length, 1);
    assert.ok(!(await tracked(framework, db)).includes(drop.version));
  });
}

const TIMEOUT_POLICY = `  staging:\n    url: URL\n    policy:\n      lock_timeout: 300ms\n      lock_retries: 1\n      lock_retry_backoff: 100ms\n      statement_timeout: 1500ms\n      backup_before_migrate: false\n`;

for (const framework of REAL_FRAMEWORKS) {
  test(`invariant: ${framework} — a lock timeout is retried then fails cleanly, a statement timeout rolls back, and the audit says so`, async (t) => {
    const db = await createTestDatabase();
    await db.query('CREATE TABLE customers (id int primary key)');
    const app = project(framework, db, TIMEOUT_POLICY.replace('URL', db.url));
    t.after(() => app.remove());
    const v = (m: { version: string }) => (framework === 'django' ? `shop.${m.version}` : m.version);
    const add = app.addMigration('add_note', app.sql('ALTER TABLE customers ADD COLUMN note text'));
    const env = appEnv(app, db.url);
    delete env.DATABASE_URL;
    const run = () => runCli(['migrate', '--env', 'staging', '--json'], { cwd: app.root, env });
    // Someone else reads the table in a long transaction: the ALTER cannot get its lock.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('BEGIN; LOCK TABLE customers IN ACCESS SHARE MODE');
    const locked = await run();
    await holder.query('ROLLBACK');
    await holder.end();
    assert.equal(locked.code, 1, locked.stderr + locked.stdout);
    const doc = JSON.parse(locked.stdout);
    assert.equal(doc.attempts, 2, 'one retry (lock_retries: 1)');
    assert.deepEqual(doc.applied, []);
    assert.ok(!(await tracked(framework, db)).includes(add.version));
    const runs = await db.query(
      `SELECT r.outcome, count(*) FILTER (WHERE s.error_code = '55P03')::int AS lock_timeouts
         FROM pgward.guard_runs r JOIN pgward.guard_statements s ON s.run_id = r.id GROUP BY r.id, r.outcome`,
    );
    assert.deepEqual(
      runs.map((r) => [r.outcome, r.lock_timeouts]),
      [
        ['failed', 1],
        ['failed', 1],
      ],
    );
    // Lock free: it applies. Then a statement over statement_timeout rolls its migration back whole.
    const ok = await run();
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.deepEqual(JSON.parse(ok.stdout).applied, [v(add)]);
    const slow = app.addMigration('slow', app.sql('CREATE TABLE slow_side (id int); SELECT pg_sleep(5)'));
    const timedOut = await run();
    assert.equal(timedOut.code, 1, timedOut.stderr + timedOut.stdout);
    assert.equal(JSON.parse(timedOut.stdout).attempts, 1, 'a statement timeout is not retried');
    assert.equal((await db.query("SELECT to_regclass('slow_side') AS r"))[0]!.r, null);
    assert.ok(!(await tracked(framework, db)).includes(slow.version));
  });
}

const DROP_EMAIL: Partial<Record<RealFramework, string>> = {
  rails: 'remove_column :customers, :email',
  alembic: 'op.drop_column("customers", "email")',
  django: "migrations.RunSQL('ALTER TABLE customers DROP COLUMN email')",
};

for (const [framework, body] of Object.entries(DROP_EMAIL) as [RealFramework, string][]) {
  test(`invariant: ${framework} — plan shows what migrate would refuse, read as the framework will send it, and changes nothing`, async (t) => {
    const db = await createTestDatabase();
    await db.query(
      "CREATE TABLE customers (id int primary key, email text); INSERT INTO customers VALUES (1, 'a')",
    );
    const app = project(framework, db);
    t.after(() => app.remove());
    const drop = app.addMigration('drop_email', body);
    const env = appEnv(app, db.url);
    delete env.DATABASE_URL;
    const res = await runCli(['plan', '--env', 'production', '--json'], {
      cwd: app.root,
      env,
    });
    assert.equal(res.code, 6, res.stderr + res.stdout);
    const plan = JSON.parse(res.stdout);
    const gate = plan.gates[0];
    assert.equal(gate.decision, 'blocked');
    assert.ok(gate.version.endsWith(drop.version));
    assert.ok(
      gate.findings.some((f: { rule: string }) => f.rule === 'ban-drop-column'),
      res.stdout,
    );
    assert.equal((await db.query("SELECT to_regnamespace('pgward') AS n"))[0]!.n, null, 'plan wrote nothing');
    assert.equal(
      (
        await db.query(
          "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'email'",
        )
      )[0]!.n,
      1,
    );
  });
}
