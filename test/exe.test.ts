// The single executable (docs/install.md) on a machine without Node.js: copied alone into an empty
// folder, run with a PATH holding only pg_dump/pg_restore/psql. It must behave like the npm package:
// same output, same exit codes, the SQL parser loads, backups are made and proven, serve answers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { createTestDatabase } from './harness/db.js';
import { type BareMachine, bareMachine, onPath, runExe, runNpm, serveExe } from './harness/exe.js';
import { makeProject, migration, ROOT } from './harness/project.js';
import { getJson } from './harness/serve.js';

let m: BareMachine;
before(() => {
  m = bareMachine();
});
after(() => m?.cleanup());

function gatedProject(files: Record<string, string>): string {
  return makeProject({
    'pgward.yaml': [
      'environments:',
      '  production:',
      '    url: ${PROD_URL}',
      '    policy:',
      '      backup_before_migrate: false',
      'backups:',
      '  storage: file://./backups',
      'serve:',
      '  refresh_interval: 200ms',
    ].join('\n'),
    ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v])),
  });
}

test('the executable needs no node: --help and an unknown command say and exit exactly what the npm package does', async () => {
  const env = m.env();
  assert.equal(
    onPath('node', env.PATH!),
    false,
    'node must not be resolvable on the PATH the executable gets',
  );
  assert.equal(onPath('pg_dump', env.PATH!), true);
  const cwd = makeProject({});
  for (const args of [['--help'], ['migrate', '--help'], ['frobnicate'], ['status', '--no-such-flag']]) {
    const [exe, npm] = await Promise.all([runExe(m, args, { cwd, env }), runNpm(args, { cwd, env })]);
    assert.equal(exe.code, npm.code, `${args.join(' ')}: exit code`);
    assert.equal(exe.stdout, npm.stdout, `${args.join(' ')}: stdout`);
    assert.equal(exe.stderr, npm.stderr, `${args.join(' ')}: stderr`);
  }
});

test('--version names the build: version and commit as the npm package, kind exe, a build date', async () => {
  const env = m.env();
  const cwd = makeProject({});
  const [exe, npm] = await Promise.all([
    runExe(m, ['--version'], { cwd, env }),
    runNpm(['--version'], { cwd, env }),
  ]);
  assert.equal(exe.code, 0, exe.stderr);
  const line = /^(\d+\.\d+\.\d+\S*) \((npm|exe), commit (\S+), built (\S+)\)\n$/;
  const e = line.exec(exe.stdout);
  const n = line.exec(npm.stdout);
  assert.ok(e && n, `${exe.stdout} / ${npm.stdout}`);
  assert.equal(e[1], n[1], 'same version');
  assert.equal(e[2], 'exe');
  assert.equal(n[2], 'npm');
  assert.match(e[4]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('lint: the SQL parser loads from inside the executable; findings and exit code 5 as the npm package', async () => {
  const env = m.env();
  const cwd = makeProject({
    'a.sql': 'ALTER TABLE t DROP COLUMN c;\nCREATE INDEX i ON t (x);\n',
    'b.sql': 'SELEC broken;\n',
  });
  for (const args of [
    ['lint', 'a.sql', 'b.sql'],
    ['lint', 'a.sql', 'b.sql', '--json'],
  ]) {
    const [exe, npm] = await Promise.all([runExe(m, args, { cwd, env }), runNpm(args, { cwd, env })]);
    assert.equal(exe.code, 5, exe.stderr);
    assert.equal(exe.code, npm.code);
    assert.equal(exe.stdout, npm.stdout);
  }
  const doc = JSON.stringify(
    JSON.parse((await runExe(m, ['lint', 'a.sql', 'b.sql', '--json'], { cwd, env })).stdout),
  );
  assert.ok(doc.includes('ban-drop-column'), 'the parser read the statements');
  assert.ok(doc.includes('syntax error at or near \\"SELEC\\"'), "PostgreSQL's grammar rejected the typo");
});

test('status and migrate: a destructive migration is blocked by the gate (exit 6), as with the npm package', async () => {
  const db = await createTestDatabase();
  await db.query('CREATE TABLE legacy (id int); INSERT INTO legacy VALUES (1)');
  const cwd = gatedProject({
    '1_add.sql': migration('CREATE TABLE fresh (id int);'),
    '2_drop.sql': migration('DROP TABLE legacy;'),
  });
  const env = m.env({ PROD_URL: db.url });
  const status = [await runExe(m, ['status'], { cwd, env }), await runNpm(['status'], { cwd, env })];
  assert.equal(status[0]!.code, 3, status[0]!.stderr);
  assert.equal(status[0]!.code, status[1]!.code);
  assert.equal(status[0]!.stdout, status[1]!.stdout);

  const first = await runExe(m, ['migrate'], { cwd, env });
  assert.equal(first.code, 6, first.stderr);
  assert.match(first.stderr, /blocked .*2_drop\.sql/);
  assert.match(first.stderr, /pgward migrate --env production --approve 2/);
  // The first run stamped the database (pgward.identity), which the refusal then names: compare in that state.
  const exe = await runExe(m, ['migrate'], { cwd, env });
  assert.equal(exe.code, 6, exe.stderr);
  const npm = await runNpm(['migrate'], { cwd, env });
  assert.equal(npm.code, 6);
  assert.equal(exe.stderr, npm.stderr, 'the same refusal, word for word');
  assert.deepEqual(await db.query("SELECT to_regclass('fresh') AS fresh, to_regclass('legacy') AS legacy"), [
    { fresh: null, legacy: 'legacy' },
  ]);

  const approved = await runExe(m, ['migrate', '--approve', '2', '--json'], { cwd, env });
  assert.equal(approved.code, 0, approved.stderr);
  const done = await runExe(m, ['status', '--json'], { cwd, env });
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(await db.query("SELECT to_regclass('fresh') AS fresh, to_regclass('legacy') AS legacy"), [
    { fresh: 'fresh', legacy: null },
  ]);
});

test('backup create and verify run pg_dump/pg_restore from PATH and prove the backup', async () => {
  const db = await createTestDatabase();
  await db.query(
    "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 200) g",
  );
  const cwd = gatedProject({});
  const env = m.env({ PROD_URL: db.url });
  const made = await runExe(m, ['backup', 'create', '--json'], { cwd, env });
  assert.equal(made.code, 0, made.stderr);
  const { id } = JSON.parse(made.stdout) as { id: string };
  const verified = await runExe(m, ['backup', 'verify', id, '--json'], { cwd, env });
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(JSON.parse(verified.stdout).ok, true);
  // The npm package reads the executable's backups: one format, whichever build wrote it.
  const listed = await runNpm(['backup', 'list', '--json'], { cwd, env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(listed.stdout.includes(id));
});

test('serve answers /health and serves the dashboard assets from the executable', async () => {
  const db = await createTestDatabase();
  const cwd = gatedProject({ '1_add.sql': migration('CREATE TABLE fresh (id int);') });
  const s = await serveExe(m, { cwd, env: m.env({ PROD_URL: db.url }) });
  try {
    const h = await getJson(`${s.url}/health`);
    assert.equal(h.status, 200);
    assert.equal(h.json.database, 'connected');
    assert.equal(h.json.migrations.pending_count, 1);
    // The dashboard's browser files are embedded (no node_modules, no dist/ beside the executable).
    const chart = await fetch(`${s.url}/assets/uPlot.iife.min.js`);
    assert.equal(chart.status, 200);
    assert.match(await chart.text(), /uPlot/);
  } finally {
    assert.equal(await s.stop(), 0, 'a graceful stop on SIGTERM');
  }
});

test('the npm package does not carry the executables or the release folder (package.json files)', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const files = (JSON.parse(out) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
  assert.ok(files.includes('dist/bin/pgward.js'));
  assert.ok(files.includes('dist/build-info.json'), 'the build stamp behind --version');
  assert.deepEqual(
    files.filter((f) => /^dist\/(exe|release)/.test(f)),
    [],
  );
});
