import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestDatabase } from './harness/db.js';
import { CLI, makeProject, migration, runCli } from './harness/project.js';

function gatedProject(files: Record<string, string>, staging = '') {
  return makeProject({
    'pgward.yaml': [
      'environments:',
      '  production:',
      '    url: ${PROD_URL}',
      '    policy:',
      '      backup_before_migrate: false',
      '  staging:',
      // its own database: staging spelled onto production's database is production (identity, not name)
      '    url: ${STAGING_URL}',
      '    policy:',
      '      pause_seconds: 1',
      staging,
    ].join('\n'),
    ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v])),
  });
}

async function seeded() {
  const db = await createTestDatabase();
  await db.query(
    'CREATE TABLE legacy (id int); CREATE TABLE old_audit (id int); INSERT INTO legacy VALUES (1)',
  );
  return db;
}

test('production blocks a destructive migration: exit 6, nothing applied, and says exactly how to approve', async () => {
  const db = await seeded();
  const dir = gatedProject({
    '1_add.sql': migration('CREATE TABLE fresh (id int);'),
    '2_drop.sql': migration('DROP TABLE legacy;'),
  });
  const env = { PROD_URL: db.url };
  const r = await runCli(['migrate', '--env', 'production'], { cwd: dir, env });
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, /blocked .*2_drop\.sql/);
  assert.match(r.stderr, /line 2: destructive \[ban-drop-table\]/);
  assert.match(r.stderr, /pgward migrate --env production --approve 2/);
  const rows = await db.query("SELECT to_regclass('fresh') AS fresh, to_regclass('legacy') AS legacy");
  assert.deepEqual(
    rows[0],
    { fresh: null, legacy: 'legacy' },
    'the gate runs before the first statement of the run',
  );
  const json = await runCli(['migrate', '--env', 'production', '--json'], { cwd: dir, env });
  assert.equal(json.code, 6);
  const doc = JSON.parse(json.stdout);
  assert.deepEqual(
    doc.blocked.map((b: { version: string }) => b.version),
    ['2'],
  );
  assert.equal(doc.blocked[0].reasons[0].kind, 'destructive');
});

test('an approval applies the migration and is stored with its history row', async () => {
  const db = await seeded();
  const dir = gatedProject({ '2_drop.sql': migration('DROP TABLE legacy;') });
  const r = await runCli(['migrate', '--env', 'production', '--approve', '2'], {
    cwd: dir,
    env: { PROD_URL: db.url, PGWARD_ACTOR: 'alice (ops)' },
  });
  assert.equal(r.code, 0, r.stderr);
  const rows = await db.query("SELECT approval FROM pgward.migrations WHERE version = '2'");
  const approval = rows[0]!.approval;
  assert.equal(approval.approvedBy, 'alice (ops)');
  assert.equal(approval.env, 'production');
  assert.deepEqual(
    approval.findings.map((f: { rule: string }) => f.rule),
    ['ban-drop-table'],
  );
  assert.match(approval.checksum, /^[0-9a-f]{64}$/);
  const gone = await db.query("SELECT to_regclass('legacy') AS legacy");
  assert.equal(gone[0]!.legacy, null);
});

test('an approval is bound to the file: editing it blocks it again', async () => {
  const db = await seeded();
  const dir = gatedProject({
    '2_drop_legacy.sql': migration('DROP TABLE legacy;'),
    '3_drop_audit.sql': migration('DROP TABLE old_audit;'),
  });
  const env = { PROD_URL: db.url };
  // Approving only 2 still leaves 3 blocked: nothing runs, but the approval of 2 is kept.
  const first = await runCli(['migrate', '--env', 'production', '--approve', '2'], { cwd: dir, env });
  assert.equal(first.code, 6, first.stderr);
  assert.match(first.stderr, /--approve 3\b/);
  // Someone edits 2 after it was approved.
  writeFileSync(join(dir, 'db/migrations/2_drop_legacy.sql'), migration('DROP TABLE legacy CASCADE;'));
  const second = await runCli(['migrate', '--env', 'production', '--approve', '3'], { cwd: dir, env });
  assert.equal(second.code, 6, second.stderr);
  assert.match(second.stderr, /--approve 2\b/);
  const untouched = await db.query("SELECT to_regclass('legacy') AS l, to_regclass('old_audit') AS a");
  assert.deepEqual(untouched[0], { l: 'legacy', a: 'old_audit' });
  // Approving the edited file (3's approval still holds) lets both through.
  const third = await runCli(['migrate', '--env', 'production', '--approve', '2'], { cwd: dir, env });
  assert.equal(third.code, 0, third.stderr);
  const hist = await db.query(
    'SELECT version FROM pgward.migrations WHERE approval IS NOT NULL ORDER BY version',
  );
  assert.deepEqual(
    hist.map((h) => h.version),
    ['2', '3'],
  );
});

test('--approve of a version that is not pending is a usage error', async () => {
  const db = await seeded();
  const dir = gatedProject({ '2_drop.sql': migration('DROP TABLE legacy;') });
  const r = await runCli(['migrate', '--env', 'production', '--approve', '99'], {
    cwd: dir,
    env: { PROD_URL: db.url },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--approve 99: no pending migration/);
});

test('staging warns and pauses on destructive changes, then applies; Ctrl-C during the pause applies nothing', async () => {
  const db = await seeded();
  const dir = gatedProject({ '2_drop.sql': migration('DROP TABLE legacy;') });
  const env = { STAGING_URL: db.url };
  const interrupted = await runCli(['migrate', '--env', 'staging'], {
    cwd: dir,
    env,
    onSpawn: (child) => {
      child.stderr?.on('data', (d: Buffer) => {
        if (d.toString().includes('pausing')) child.kill('SIGINT');
      });
    },
  });
  assert.equal(interrupted.code, 130, interrupted.stderr);
  const still = await db.query("SELECT to_regclass('legacy') AS l");
  assert.equal(still[0]!.l, 'legacy');
  const r = await runCli(['migrate', '--env', 'staging'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning.*2_drop\.sql/);
  assert.match(r.stderr, /pausing 1s before applying/);
  const gone = await db.query("SELECT to_regclass('legacy') AS l");
  assert.equal(gone[0]!.l, null);
});

test('a blocking policy blocks a non-concurrent index on a table with rows, not on a new table', async () => {
  const db = await seeded();
  const dir = gatedProject(
    {
      '1_new.sql': migration('CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);'),
      '2_idx.sql': migration('CREATE INDEX legacy_id ON legacy (id);'),
    },
    '      blocking: block',
  );
  const r = await runCli(['migrate', '--env', 'staging', '--json'], {
    cwd: dir,
    env: { STAGING_URL: db.url },
  });
  assert.equal(r.code, 6, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(
    doc.blocked.map((b: { version: string }) => b.version),
    ['2'],
  );
  assert.equal(doc.blocked[0].reasons[0].lock, 'SHARE');
  assert.equal(doc.gates.find((g: { version: string }) => g.version === '1').decision, 'apply');
});

// Changed: a blocked dry run used to exit 0 with ok:true, telling CI the real run would pass.
test('--dry-run shows the gate decisions without recording or applying anything', async () => {
  const db = await seeded();
  const dir = gatedProject({ '2_drop.sql': migration('DROP TABLE legacy;') });
  const r = await runCli(['migrate', '--env', 'production', '--dry-run', '--json'], {
    cwd: dir,
    env: { PROD_URL: db.url },
  });
  assert.equal(r.code, 6, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.ok, false);
  assert.equal(doc.gates[0].decision, 'blocked');
  const none = await db.query("SELECT to_regnamespace('pgward') AS s");
  assert.equal(none[0]!.s, null);
});

test('production takes a pre-migrate backup before the first migration; if the backup fails, nothing runs', async () => {
  const db = await seeded();
  const files = { '1_add.sql': migration('CREATE TABLE fresh (id int);') };
  const dir = makeProject({
    'pgward.yaml':
      'backups:\n  storage: file://./backups\nenvironments:\n  production:\n    url: ${PROD_URL}\n',
    ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v])),
  });
  const env = { PROD_URL: db.url };
  const r = await runCli(['migrate', '--env', 'production', '--json'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.match(doc.backupId, /^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
  const list = await runCli(['backup', 'list', '--env', 'production', '--json'], { cwd: dir, env });
  const backups = JSON.parse(list.stdout);
  const entries = Array.isArray(backups) ? backups : backups.backups;
  assert.equal(entries[0].id, doc.backupId);
  assert.equal(entries[0].reason, 'pre-migrate');
  const before = entries[0].tables.map((t: { name?: string; table?: string }) => t.name ?? t.table);
  assert.ok(
    !before.some((n: string) => /fresh/.test(n)),
    'the backup holds the database as it was before migrating',
  );

  // Storage that cannot be written (its folder would live under a regular file): the backup fails
  // and no migration runs.
  const broken = makeProject({
    'not-a-dir': 'a file where the backup folder should be',
    'pgward.yaml':
      'backups:\n  storage: file://./not-a-dir/backups\nenvironments:\n  production:\n    url: ${PROD_URL}\n',
    'db/migrations/1_add.sql': files['1_add.sql'],
    'db/migrations/2_more.sql': migration('CREATE TABLE more (id int);'),
  });
  const failed = await runCli(['migrate', '--env', 'production'], { cwd: broken, env });
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /backup before migrate failed, so no migration ran/);
  const none = await db.query("SELECT to_regclass('more') AS m");
  assert.equal(none[0]!.m, null);
});

/** Runs the CLI under a pseudo-terminal (util-linux `script`), typing `answer` when the prompt appears. */
function runOnTty(args: string[], cwd: string, env: Record<string, string>, answer: string) {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise<{ code: number | null; out: string }>((resolvePromise) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let answered = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!answered && /Type \d+ to approve/.test(out)) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => resolvePromise({ code, out }));
  });
}

test('on a terminal, typing the exact version approves; anything else refuses', async (t) => {
  if (spawnSync('script', ['--version']).status !== 0) {
    t.skip('util-linux `script` is not installed');
    return;
  }
  const db = await seeded();
  const dir = gatedProject({ '2_drop.sql': migration('DROP TABLE legacy;') });
  const env = { PROD_URL: db.url, PGWARD_ACTOR: 'tty-user' };
  const refused = await runOnTty(['migrate', '--env', 'production'], dir, env, 'yes');
  assert.equal(refused.code, 6, refused.out);
  const still = await db.query("SELECT to_regclass('legacy') AS l");
  assert.equal(still[0]!.l, 'legacy');
  const approved = await runOnTty(['migrate', '--env', 'production'], dir, env, '2');
  assert.equal(approved.code, 0, approved.out);
  assert.match(approved.out, /approved 2 by tty-user/);
  const rows = await db.query(
    "SELECT approval->>'approvedBy' AS who FROM pgward.migrations WHERE version = '2'",
  );
  assert.equal(rows[0]!.who, 'tty-user');
});
