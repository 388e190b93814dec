// The built CLI: exit code 5 at --fail-on, the JSON and GitHub formats, and `plan` on a real database.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';

const FILES = {
  'db/migrations/20240101000000_init.sql':
    '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n-- migrate:down\nDROP TABLE users;\n',
  'db/migrations/20240102000000_drop.sql':
    '-- migrate:up\nALTER TABLE users DROP COLUMN email;\n-- migrate:down\n',
  'db/migrations/20240103000000_index.sql': '-- migrate:up\nCREATE INDEX users_email ON users(id);\n',
};

test('lint exits 5 on error findings, 0 below --fail-on; --down lints down sections', async () => {
  const dir = makeProject(FILES);
  const r = await runCli(['lint'], { cwd: dir });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stdout, /20240102000000_drop\.sql/);
  assert.match(r.stdout, /2:1 error ban-drop-column destructive · ACCESS EXCLUSIVE on users/);
  assert.match(r.stdout, /2 \| ALTER TABLE users DROP COLUMN email;/);
  const clean = makeProject({
    'ok.sql': 'CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);\n',
  });
  const ok = await runCli(['lint', 'ok.sql', '--fail-on', 'info'], { cwd: clean });
  assert.equal(ok.code, 0, ok.stdout);
  const warnOnly = makeProject({ 'w.sql': 'ALTER TABLE t ADD COLUMN p json;\n' });
  assert.equal((await runCli(['lint', 'w.sql'], { cwd: warnOnly })).code, 0);
  assert.equal((await runCli(['lint', 'w.sql', '--fail-on', 'warning'], { cwd: warnOnly })).code, 5);
  const down = await runCli(['lint', '--down', '--format', 'json'], { cwd: dir });
  const doc = JSON.parse(down.stdout);
  const init = doc.files.find((f: { file: string }) => f.file.endsWith('_init.sql'));
  assert.deepEqual(
    init.findings.map((f: { rule: string; line: number }) => [f.rule, f.line]),
    [['ban-drop-table', 4]],
  );
});

test('lint --format json and --format github', async () => {
  const dir = makeProject(FILES);
  const j = await runCli(['lint', '--format', 'json', 'db/migrations/20240102000000_drop.sql'], { cwd: dir });
  assert.equal(j.code, 5);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.files[0].file, 'db/migrations/20240102000000_drop.sql');
  assert.deepEqual(doc.files[0].findings[0], {
    rule: 'ban-drop-column',
    category: 'destructive',
    severity: 'error',
    line: 2,
    column: 1,
    statement: 'ALTER TABLE users DROP COLUMN email',
    lock: 'ACCESS EXCLUSIVE',
    relation: 'users',
    message: 'DROP COLUMN users.email deletes the column and its data',
    fix: doc.files[0].findings[0].fix,
  });
  assert.equal(doc.summary.byCategory.destructive, 1);
  const g = await runCli(['lint', '--format', 'github', 'db/migrations'], { cwd: dir });
  assert.match(
    g.stdout,
    /^::error file=db\/migrations\/20240102000000_drop\.sql,line=2,col=1,title=pgward ban-drop-column \(destructive\)::/m,
  );
  const bad = await runCli(['lint', 'nope.sql'], { cwd: dir });
  assert.equal(bad.code, 2);
});

test('plan shows pending migrations with their gate decision and changes nothing', async () => {
  const db = await createTestDatabase();
  const dir = makeProject({
    ...FILES,
    'pgward.yaml': 'migrations:\n  dir: db/migrations\nenvironments:\n  production:\n    url: ${PROD_URL}\n',
  });
  const env = { PROD_URL: db.url };
  const m = await runCli(['migrate', '--env', 'production', '--to', '20240101000000'], { cwd: dir, env });
  assert.equal(m.code, 0, m.stderr);
  // a populated table: the index build on it really blocks writes (on an empty one it would not)
  await db.query("INSERT INTO users SELECT g, 'e' || g FROM generate_series(1, 1000) g");
  const p = await runCli(['plan', '--env', 'production', '--format', 'json'], { cwd: dir, env });
  // a plan the gate blocks exits 6, like `migrate --dry-run` (it exited 0 before: the two disagreed)
  assert.equal(p.code, 6, p.stderr);
  const doc = JSON.parse(p.stdout);
  assert.deepEqual(
    doc.migrations.map((x: { version: string; decision: string }) => [x.version, x.decision]),
    [
      ['20240102000000', 'blocked'],
      ['20240103000000', 'warn'],
    ],
  );
  const md = await runCli(['plan', '--env', 'production', '--format', 'markdown'], { cwd: dir, env });
  assert.match(md.stdout, /## pgward plan: production/);
  assert.match(md.stdout, /`20240102000000_drop` \| ⛔ blocked until approved/);
  const human = await runCli(['plan', '--env', 'production'], { cwd: dir, env });
  assert.match(human.stdout, /20240102000000_drop {2}blocked until approved/);
  // nothing was applied by plan
  const rows = await db.query(
    "SELECT to_regclass('users') IS NOT NULL AS t, (SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email')::int AS email",
  );
  assert.deepEqual(rows[0], { t: true, email: 1 });
});

test('lint --jobs: the same JSON, the same error and exit code as on one thread', async () => {
  // 40 files: enough for the calling thread and a worker to share (batches of 8 files).
  const sql = [
    'DROP TABLE audit;',
    'CREATE INDEX i ON users(email);',
    "ALTER TABLE users ADD COLUMN note text NOT NULL DEFAULT 'x';",
    "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$;",
    'SELECT 1;',
  ];
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++)
    files[`sql/f${String(i).padStart(2, '0')}.sql`] =
      `${sql.slice(i % 5).join('\n')}\n-- pgward:ignore ban-drop-table reason="t"\nDROP TABLE x${i};\n`;
  const dir = makeProject(files);
  const one = await runCli(['lint', '--format', 'json', 'sql'], { cwd: dir });
  const two = await runCli(['lint', '--format', 'json', '--jobs', '2', 'sql'], { cwd: dir });
  assert.equal(one.code, 5, one.stderr);
  assert.equal(two.code, one.code, two.stderr);
  assert.equal(JSON.parse(one.stdout).files.length, 40);
  assert.equal(two.stdout, one.stdout);
  // Two files that cannot be read as UTF-8: the first in file order is reported, whichever thread met it.
  writeFileSync(join(dir, 'sql/f05.sql'), Buffer.from([0x53, 0x45, 0x4c, 0xe9, 0x0a]));
  writeFileSync(join(dir, 'sql/f33.sql'), Buffer.from([0xff, 0x0a]));
  const bad1 = await runCli(['lint', 'sql'], { cwd: dir });
  const bad2 = await runCli(['lint', '--jobs', '2', 'sql'], { cwd: dir });
  assert.equal(bad1.code, 2);
  assert.match(bad1.stderr, /f05\.sql:1: not valid UTF-8/);
  assert.equal(bad2.code, bad1.code);
  assert.equal(bad2.stderr, bad1.stderr);
  assert.equal((await runCli(['lint', '--jobs', '0', 'sql'], { cwd: dir })).code, 2);
});
