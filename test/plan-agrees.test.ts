// `pgward plan` and `pgward migrate --dry-run` are two views of ONE planning function: whatever the
// history, files, approvals and flags, they name the same pending migrations, reach the same gate
// decisions and exit with the same code (6 when the gate would block, 4 on drift, 2 on a bad file).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { migrate } from '../src/migrate/migrate.js';
import { planMigrations } from '../src/migrate/planning.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';

const CONFIG = [
  'environments:',
  '  production:',
  '    url: ${DB_URL}',
  '    policy:',
  '      backup_before_migrate: false',
  '  staging:',
  '    url: ${DB_URL}',
  '    policy:',
  '      pause_seconds: 0',
].join('\n');

function project(files: Record<string, string>): string {
  return makeProject({
    'pgward.yaml': CONFIG,
    ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v])),
  });
}

async function seeded(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await db.query(
    "CREATE TABLE legacy (id int); CREATE TABLE users (id int, email text); INSERT INTO users SELECT g, 'e' || g FROM generate_series(1, 500) g",
  );
  return db;
}

/** The same refusal, whichever command names itself in it. */
function sameWording(message: string | undefined): string | undefined {
  return message
    ?.replace(/^refusing to \w+/, 'refusing')
    .replace(/pgward (plan|migrate)\b/g, 'pgward <command>');
}

interface Seen {
  code: number | null;
  pending: string[];
  decisions: [string, string][];
  blocked: string[];
  error: string | undefined;
}

/** Runs `plan` and `migrate --dry-run` with the same flags and reduces both to what they decided. */
async function both(dir: string, db: TestDatabase, args: string[]): Promise<{ plan: Seen; dry: Seen }> {
  const env = { DB_URL: db.url };
  const p = await runCli(['plan', ...args, '--json'], { cwd: dir, env });
  const d = await runCli(['migrate', '--dry-run', ...args, '--json'], { cwd: dir, env });
  const pd = JSON.parse(p.stdout);
  const dd = JSON.parse(d.stdout);
  const plan: Seen = {
    code: p.code,
    pending: (pd.migrations ?? []).map((m: { version: string }) => m.version),
    decisions: (pd.migrations ?? []).map((m: { version: string; decision: string }) => [
      m.version,
      m.decision,
    ]),
    blocked: pd.blocked ?? [],
    error: sameWording(pd.error?.message),
  };
  const dry: Seen = {
    code: d.code,
    pending: (dd.planned ?? []).map((m: { version: string }) => m.version),
    decisions: (dd.gates ?? []).map((g: { version: string; decision: string }) => [g.version, g.decision]),
    blocked: (dd.blocked ?? []).map((b: { version: string }) => b.version),
    error: sameWording(dd.error?.message),
  };
  return { plan, dry };
}

async function assertAgree(dir: string, db: TestDatabase, args: string[], expectCode: number): Promise<Seen> {
  const { plan, dry } = await both(dir, db, args);
  assert.deepEqual(plan, dry, `plan and migrate --dry-run disagree for ${args.join(' ')}`);
  assert.equal(plan.code, expectCode, `${args.join(' ')}: ${JSON.stringify(plan)}`);
  return plan;
}

async function nothingChanged(db: TestDatabase): Promise<void> {
  const rows = await db.query(
    "SELECT to_regclass('legacy') IS NOT NULL AS legacy, to_regclass('fresh') IS NULL AS no_fresh",
  );
  assert.deepEqual(rows[0], { legacy: true, no_fresh: true }, 'a plan and a dry run change nothing');
}

test('invariant: plan and migrate --dry-run agree on pending list, gate decisions and exit code', async () => {
  const db = await seeded();
  const dir = project({
    '1_fresh.sql': migration('CREATE TABLE fresh (id int);'),
    '2_drop.sql': migration('DROP TABLE legacy;'),
    '3_index.sql': migration('CREATE INDEX users_email ON users (email);'),
  });
  // blocked in production (destructive), exit 6 for both
  const prod = await assertAgree(dir, db, ['--env', 'production'], 6);
  assert.deepEqual(prod.pending, ['1', '2', '3']);
  assert.deepEqual(prod.blocked, ['2']);
  // Since main identifies the database reached (src/identity), "staging" spelling production's URL IS
  // production's database: both apply production's (strictest) policy and block alike. Before the
  // merge this case expected staging's warn; the identity is the deliberate change, so the test follows.
  const sameDb = await assertAgree(dir, db, ['--env', 'staging'], 6);
  assert.deepEqual(sameDb.blocked, ['2']);
  // warn in a staging that is only staging: the run would go ahead
  const stagingOnly = makeProject({
    'pgward.yaml': [
      'environments:',
      '  staging:',
      '    url: ${DB_URL}',
      '    policy:',
      '      pause_seconds: 0',
    ].join('\n'),
    ...Object.fromEntries(
      ['1_fresh.sql', '2_drop.sql', '3_index.sql'].map((k) => [
        `db/migrations/${k}`,
        readFileSync(join(dir, 'db/migrations', k), 'utf8'),
      ]),
    ),
  });
  const staging = await assertAgree(stagingOnly, db, ['--env', 'staging'], 0);
  assert.deepEqual(staging.blocked, []);
  // a hypothetical approval lifts the block in both, recording nothing
  await assertAgree(dir, db, ['--env', 'production', '--approve', '2'], 0);
  // --to narrows both alike
  const upTo = await assertAgree(dir, db, ['--env', 'production', '--to', '1'], 0);
  assert.deepEqual(upTo.pending, ['1']);
  // a --to that names no file is a usage error for both
  await assertAgree(dir, db, ['--env', 'production', '--to', '9'], 2);
  await nothingChanged(db);
  const approvals = await db.query("SELECT to_regclass('pgward.approvals') IS NULL AS none");
  assert.equal(approvals[0]!.none, true, 'no history schema, no approval written by a preview');
});

test('invariant: an approval recorded for the exact file counts in plan exactly as in migrate', async () => {
  const db = await seeded();
  // The approval is recorded by a real run that then fails inside the migration: approved, not applied.
  const dir = project({ '2_drop.sql': migration('DROP TABLE legacy;\nSELECT 1 / 0;') });
  const env = { DB_URL: db.url };
  const run = await runCli(['migrate', '--env', 'production', '--approve', '2'], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  const approved = await assertAgree(dir, db, ['--env', 'production'], 0);
  assert.deepEqual(approved.decisions, [['2', 'warn']]);
  // Editing the file voids the approval, in both.
  writeFileSync(
    join(dir, 'db/migrations/2_drop.sql'),
    migration('DROP TABLE legacy CASCADE;\nSELECT 1 / 0;'),
  );
  const edited = await assertAgree(dir, db, ['--env', 'production'], 6);
  assert.deepEqual(edited.blocked, ['2']);
});

test('invariant: whatever migrate refuses to start, plan refuses with the same exit code', async () => {
  const db = await seeded();
  const dir = project({
    '1_fresh.sql': migration('CREATE TABLE fresh (id int);'),
    '3_later.sql': migration('CREATE TABLE later (id int);'),
  });
  const env = { DB_URL: db.url };
  assert.equal((await runCli(['migrate', '--env', 'staging'], { cwd: dir, env })).code, 0);
  // drift: an applied file changed
  writeFileSync(join(dir, 'db/migrations/1_fresh.sql'), migration('CREATE TABLE fresh (id bigint);'));
  await assertAgree(dir, db, ['--env', 'staging'], 4);
  const allowed = await assertAgree(dir, db, ['--env', 'staging', '--allow-drift'], 0);
  assert.deepEqual(allowed.pending, []);
  // out of order: a file older than the newest applied one
  writeFileSync(join(dir, 'db/migrations/1_fresh.sql'), migration('CREATE TABLE fresh (id int);'));
  writeFileSync(join(dir, 'db/migrations/2_between.sql'), migration('CREATE TABLE between_t (id int);'));
  await assertAgree(dir, db, ['--env', 'staging'], 4);
  const ooo = await assertAgree(dir, db, ['--env', 'staging', '--allow-out-of-order'], 0);
  assert.deepEqual(ooo.pending, ['2']);
  // transaction control inside a transactional migration: refused before anything runs
  writeFileSync(join(dir, 'db/migrations/4_commit.sql'), migration('CREATE TABLE t4 (id int);\nCOMMIT;'));
  await assertAgree(dir, db, ['--env', 'staging', '--allow-out-of-order'], 1);
  // a syntax error in a pending file stops both
  writeFileSync(join(dir, 'db/migrations/4_commit.sql'), migration('CREATE TABLE t4 (id int'));
  await assertAgree(dir, db, ['--env', 'staging', '--allow-out-of-order'], 1);
});

test('invariant: the library plan and a library dry run are the same plan', async () => {
  const db = await seeded();
  const dir = project({
    '1_fresh.sql': migration('CREATE TABLE fresh (id int);'),
    '2_drop.sql': migration('DROP TABLE legacy;'),
  });
  const where = { config: join(dir, 'pgward.yaml'), env: 'production', dir: join(dir, 'db/migrations') };
  process.env.DB_URL = db.url;
  try {
    const plan = await planMigrations(where);
    const dry = await migrate({ ...where, dryRun: true });
    assert.equal(plan.exitCode, 6);
    assert.equal(dry.exitCode, plan.exitCode);
    assert.deepEqual(
      dry.planned.map((p) => [p.version, p.statements.map((s) => s.sql)]),
      plan.planned.map((p) => [p.version, p.statements.map((s) => s.sql)]),
    );
    const decisions = (gs: { version: string; decision: string; approvable: boolean }[]) =>
      gs.map((g) => [g.version, g.decision, g.approvable]);
    assert.deepEqual(decisions(dry.gates), decisions(plan.gates));
    assert.deepEqual(
      plan.blocked.map((b) => b.version),
      ['2'],
    );
    await nothingChanged(db);
  } finally {
    delete process.env.DB_URL;
  }
});

test('invariant: plan and dry run agree on a partial no-transaction migration and on a foreign framework', async () => {
  const db = await seeded();
  const dir = project({
    '1_fresh.sql': migration('CREATE TABLE fresh (id int);'),
    '2_half.sql': migration('CREATE TABLE half (id int);\nSELECT 1 / 0;', undefined, { noTransaction: true }),
  });
  const env = { DB_URL: db.url };
  const run = await runCli(['migrate', '--env', 'staging'], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  // part of 2 ran: both refuse (exit 4) until told to retry, then both plan it again
  await assertAgree(dir, db, ['--env', 'staging'], 4);
  const retry = await assertAgree(dir, db, ['--env', 'staging', '--retry-partial'], 0);
  assert.deepEqual(retry.pending, ['2']);
  // files another framework runs: neither pgward command plans them (usage error, exit 2)
  await assertAgree(dir, db, ['--env', 'staging', '--framework', 'dbmate'], 2);
  // nothing pending: both say so with exit 0
  const clean = project({ '1_fresh.sql': migration('CREATE TABLE fresh (id int);') });
  const empty = await assertAgree(clean, db, ['--env', 'staging'], 0);
  assert.deepEqual(empty.pending, []);
});
