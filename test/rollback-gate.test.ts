// A rollback changes production like any migration: the same gate (on its down sections), the same
// approvals bound to the exact file, the same pause and the same pre-change backup. Dry runs of both
// tell the truth about what the gate would do.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';

function project(files: Record<string, string>, extra = '') {
  return makeProject({
    'pgward.yaml': [
      'environments:',
      '  production:',
      '    url: ${DB_URL}',
      '    policy:',
      '      backup_before_migrate: false',
      '  staging:',
      '    url: ${STAGING_URL}',
      '    policy:',
      '      pause_seconds: 1',
      extra,
    ].join('\n'),
    ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v])),
  });
}

const tableOf = (name: string) => migration(`CREATE TABLE ${name} (id int);`, `DROP TABLE ${name};`);

async function exists(db: { query: (s: string) => Promise<Record<string, unknown>[]> }, table: string) {
  const rows = await db.query(`SELECT to_regclass('${table}') IS NOT NULL AS ok`);
  return rows[0]!.ok === true;
}

test('invariant: a destructive rollback in a protected environment exits 6 and changes nothing until approved', async () => {
  const db = await createTestDatabase();
  const dir = project({ '1_keep.sql': tableOf('keep'), '2_orders.sql': tableOf('orders') });
  const env = { DB_URL: db.url, PGWARD_ACTOR: 'bob (ops)' };
  const cli = (args: string[]) => runCli([...args, '--env', 'production'], { cwd: dir, env });
  assert.equal((await cli(['migrate'])).code, 0);
  await db.query('INSERT INTO orders VALUES (1)');

  for (const args of [['rollback'], ['rollback', '--to', '0'], ['rollback', '--steps', '2']]) {
    const r = await cli(args);
    assert.equal(r.code, 6, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /blocked .*2_orders\.sql/);
    assert.match(r.stderr, /destructive \[ban-drop-table\]/);
    assert.match(r.stderr, /nothing was rolled back/);
  }
  const blocked = await cli(['rollback']);
  assert.match(blocked.stderr, /pgward rollback --env production --approve 2\b/);
  const json = await cli(['rollback', '--steps', '2', '--json']);
  assert.equal(json.code, 6);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.ok, false);
  assert.deepEqual(
    doc.blocked.map((b: { version: string }) => b.version),
    ['2', '1'],
  );
  assert.equal(doc.blocked[0].reasons[0].kind, 'destructive');
  assert.ok(await exists(db, 'orders'));
  assert.ok(await exists(db, 'keep'));
  const hist = await db.query('SELECT version FROM pgward.migrations ORDER BY version');
  assert.deepEqual(
    hist.map((h) => h.version),
    ['1', '2'],
  );

  const approved = await cli(['rollback', '--approve', '2']);
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stderr, /approved 2 by bob \(ops\)/);
  assert.equal(await exists(db, 'orders'), false);
  assert.ok(await exists(db, 'keep'), 'only the approved, chosen migration was rolled back');
  const file = readFileSync(join(dir, 'db/migrations/2_orders.sql'), 'utf8');
  const approval = await db.query(
    "SELECT checksum, direction, approved_by, env, findings FROM pgward.approvals WHERE version = '2'",
  );
  assert.equal(approval.length, 1);
  assert.equal(approval[0]!.checksum, createHash('sha256').update(file).digest('hex'));
  assert.equal(approval[0]!.direction, 'down');
  assert.equal(approval[0]!.approved_by, 'bob (ops)');
  assert.equal(approval[0]!.env, 'production');
  assert.deepEqual(
    approval[0]!.findings.map((f: { rule: string }) => f.rule),
    ['ban-drop-table'],
  );
});

test('invariant: an approval to apply a migration never approves rolling it back, and a rollback approval is bound to the file', async () => {
  const db = await createTestDatabase();
  await db.query('CREATE TABLE legacy (id int, old int)');
  const dir = project({
    '2_swap.sql': migration(
      'ALTER TABLE legacy ADD COLUMN note text;\nALTER TABLE legacy DROP COLUMN old;',
      'ALTER TABLE legacy DROP COLUMN note;\nALTER TABLE legacy ADD COLUMN old int;',
    ),
    '3_audit.sql': tableOf('audit'),
  });
  const env = { DB_URL: db.url };
  const cli = (args: string[]) => runCli([...args, '--env', 'production'], { cwd: dir, env });
  assert.equal((await cli(['migrate', '--approve', '2'])).code, 0);

  // 2 was approved to apply; rolling it back is a different change.
  const first = await cli(['rollback', '--steps', '2', '--approve', '3']);
  assert.equal(first.code, 6, first.stderr);
  assert.match(first.stderr, /--approve 2\b/);
  assert.ok(await exists(db, 'audit'), 'a blocked run rolls nothing back, not even the approved file');
  // The approval of 3 is recorded; 3 is then edited: its approval no longer holds.
  const p3 = join(dir, 'db/migrations/3_audit.sql');
  writeFileSync(p3, migration('CREATE TABLE audit (id int);', 'DROP TABLE audit CASCADE;'));
  const edited = await cli(['rollback', '--steps', '2', '--allow-drift', '--approve', '2']);
  assert.equal(edited.code, 6, edited.stderr);
  assert.match(edited.stderr, /--approve 3\b/);
  assert.ok(await exists(db, 'audit'));
  const cols = await db.query(
    "SELECT string_agg(attname, ',' ORDER BY attname) AS c FROM pg_attribute WHERE attrelid = 'legacy'::regclass AND attnum > 0 AND NOT attisdropped",
  );
  assert.equal(cols[0]!.c, 'id,note');
  const both = await cli(['rollback', '--steps', '2', '--allow-drift', '--approve', '3']);
  assert.equal(both.code, 0, both.stderr);
  assert.equal(await exists(db, 'audit'), false);
  const rows = await db.query('SELECT version, direction FROM pgward.approvals ORDER BY version, direction');
  assert.deepEqual(
    rows.map((r) => `${r.version}:${r.direction}`),
    ['2:down', '2:up', '3:down', '3:down'],
  );
});

test('invariant: a non-protected environment warns and pauses before a destructive rollback; Ctrl-C in the pause rolls back nothing', async () => {
  // staging is its own database: were it production's, production's policy would rightly apply
  const db = await createTestDatabase();
  const prod = await createTestDatabase();
  const dir = project({ '1_orders.sql': tableOf('orders') });
  const env = { DB_URL: prod.url, STAGING_URL: db.url };
  assert.equal((await runCli(['migrate', '--env', 'staging'], { cwd: dir, env })).code, 0);
  const interrupted = await runCli(['rollback', '--env', 'staging'], {
    cwd: dir,
    env,
    onSpawn: (child) => {
      child.stderr?.on('data', (d: Buffer) => {
        if (d.toString().includes('pausing')) child.kill('SIGINT');
      });
    },
  });
  assert.equal(interrupted.code, 130, interrupted.stderr);
  assert.ok(await exists(db, 'orders'));
  const r = await runCli(['rollback', '--env', 'staging'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning.*1_orders\.sql/);
  assert.match(r.stderr, /pausing 1s before rolling back/);
  assert.equal(await exists(db, 'orders'), false);
});

test('invariant: a protected rollback is preceded by a backup, and if the backup fails nothing is rolled back', async () => {
  const db = await createTestDatabase();
  const files = { 'db/migrations/1_orders.sql': tableOf('orders') };
  const config = (storage: string) =>
    `backups:\n  storage: ${storage}\nenvironments:\n  production:\n    url: \${DB_URL}\n`;
  const env = { DB_URL: db.url };
  const broken = makeProject({
    'not-a-dir': 'a file where the backup folder should be',
    'pgward.yaml': config('file://./not-a-dir/backups'),
    ...files,
  });
  // Applying needs a backup too: record the migration from a project whose storage works.
  const ok = makeProject({ 'pgward.yaml': config('file://./backups'), ...files });
  assert.equal((await runCli(['migrate', '--env', 'production'], { cwd: ok, env })).code, 0);
  await db.query('INSERT INTO orders VALUES (42)');

  const failed = await runCli(['rollback', '--env', 'production', '--approve', '1'], { cwd: broken, env });
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /backup before rollback failed, so no rollback ran/);
  assert.ok(await exists(db, 'orders'));
  const hist = await db.query('SELECT count(*)::int AS n FROM pgward.migrations');
  assert.equal(hist[0]!.n, 1);

  const r = await runCli(['rollback', '--env', 'production', '--approve', '1', '--json'], { cwd: ok, env });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.match(doc.backupId, /^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
  const list = await runCli(['backup', 'list', '--env', 'production', '--json'], { cwd: ok, env });
  const backups = JSON.parse(list.stdout);
  const entries = Array.isArray(backups) ? backups : backups.backups;
  const taken = entries.find((b: { id: string }) => b.id === doc.backupId);
  assert.equal(taken.reason, 'pre-migrate');
  assert.deepEqual(taken.labels, ['pre-rollback']);
  const names = taken.tables.map((t: { name?: string; table?: string }) => t.name ?? t.table);
  assert.ok(names.includes('orders'), 'the backup holds the table as it was before the rollback dropped it');
  assert.equal(await exists(db, 'orders'), false);
});

test('invariant: a dry-run the gate would block exits 6 with ok:false and records nothing', async () => {
  const db = await createTestDatabase();
  await db.query('CREATE TABLE legacy (id int)');
  const dir = project({ '1_orders.sql': tableOf('orders'), '2_drop.sql': migration('DROP TABLE legacy;') });
  const env = { DB_URL: db.url };
  const cli = (args: string[]) => runCli([...args, '--env', 'production'], { cwd: dir, env });

  const human = await cli(['migrate', '--dry-run']);
  assert.equal(human.code, 6, human.stderr);
  assert.match(human.stderr, /dry run: blocked .*2_drop/);
  const json = await cli(['migrate', '--dry-run', '--json']);
  assert.equal(json.code, 6);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.ok, false);
  assert.equal(doc.dryRun, true);
  assert.deepEqual(
    doc.gates.map((g: { version: string; decision: string }) => `${g.version}:${g.decision}`),
    ['1:apply', '2:blocked'],
  );
  // With the approval the real run would get, the dry run predicts success, and still records nothing.
  const approved = await cli(['migrate', '--dry-run', '--approve', '2', '--json']);
  assert.equal(approved.code, 0, approved.stderr);
  assert.equal(JSON.parse(approved.stdout).ok, true);
  const schema = await db.query("SELECT to_regnamespace('pgward') AS s");
  assert.equal(schema[0]!.s, null, 'a dry run creates nothing, not even the history schema');

  assert.equal((await cli(['migrate', '--to', '1'])).code, 0);
  const rb = await cli(['rollback', '--dry-run', '--json']);
  assert.equal(rb.code, 6, rb.stderr);
  const rbDoc = JSON.parse(rb.stdout);
  assert.equal(rbDoc.ok, false);
  assert.equal(rbDoc.blocked[0].version, '1');
  const rbHuman = await cli(['rollback', '--dry-run', '--approve', '1']);
  assert.equal(rbHuman.code, 0, rbHuman.stderr);
  assert.match(rbHuman.stdout, /would roll back 1_orders/);
  const approvals = await db.query('SELECT count(*)::int AS n FROM pgward.approvals');
  assert.equal(approvals[0]!.n, 0);
  assert.ok(await exists(db, 'orders'));
});

test('invariant: a clean dry-run exits 0 with ok:true', async () => {
  const db = await createTestDatabase();
  const stg = await createTestDatabase();
  const dir = project({
    '1_orders.sql': tableOf('orders'),
    '2_more.sql': migration('CREATE TABLE more (id int);'),
  });
  const env = { DB_URL: db.url, STAGING_URL: stg.url };
  const cli = (args: string[]) => runCli([...args, '--env', 'production'], { cwd: dir, env });
  const m = await cli(['migrate', '--dry-run', '--json']);
  assert.equal(m.code, 0, m.stderr);
  assert.equal(JSON.parse(m.stdout).ok, true);
  const staging = (args: string[]) => runCli([...args, '--env', 'staging'], { cwd: dir, env });
  assert.equal((await staging(['migrate', '--to', '1'])).code, 0);
  // staging only warns on the destructive down: a warning does not fail a dry run
  const rb = await staging(['rollback', '--dry-run', '--json']);
  assert.equal(rb.code, 0, rb.stderr);
  const doc = JSON.parse(rb.stdout);
  assert.equal(doc.ok, true);
  assert.equal(doc.gates[0].decision, 'warn');
  assert.ok(await exists(stg, 'orders'));
});
