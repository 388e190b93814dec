// The package as a user gets it: `npm pack`, unpacked into a fresh project's node_modules (its
// dependencies linked from this checkout's install, which is what `npm install` would put there,
// without touching the network), then plain scripts that import `pgward` and `pgward/lint` by name.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createTestDatabase } from './harness/db.js';
import { migration, ROOT } from './harness/project.js';
import { typeErrors } from './harness/typecheck.js';

const work = mkdtempSync(join(tmpdir(), 'pgward-pack-'));
let tarball = '';
let files: string[] = [];
after(() => rmSync(work, { recursive: true, force: true }));

before(() => {
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
  });
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  files = info!.files.map((f) => f.path);
});

/** A fresh project with the packed pgward installed and its dependencies, minus `without`. */
function installInto(name: string, without: string[] = []): string {
  const project = join(work, name);
  const modules = join(project, 'node_modules');
  mkdirSync(modules, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name, type: 'module', private: true }));
  execFileSync('tar', ['-xzf', tarball, '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'pgward'));
  const pkg = JSON.parse(readFileSync(join(modules, 'pgward', 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies)) {
    if (without.includes(dep)) continue;
    const at = join(modules, dep);
    mkdirSync(join(at, '..'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), at, 'dir');
  }
  return project;
}

function run(project: string, script: string, env: Record<string, string> = {}) {
  const path = join(project, 'script.mjs');
  writeFileSync(path, script);
  const r = spawnSync(process.execPath, [path], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, ...env, DATABASE_URL: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('invariant: the packed package ships the library, its types, the CLI and the lint entry, and no tests', () => {
  for (const f of [
    'dist/index.js',
    'dist/index.d.ts',
    'dist/lint/index.js',
    'dist/lint/index.d.ts',
    'dist/bin/pgward.js',
  ])
    assert.ok(files.includes(f), `${f} is in the package`);
  assert.deepEqual(
    files.filter((f) => f.startsWith('test/') || f.startsWith('src/')),
    [],
  );
});

test('invariant: an installed pgward migrates a real database with one call, migrate({ url, dir })', async () => {
  const db = await createTestDatabase();
  const project = installInto('app');
  mkdirSync(join(project, 'migrations'));
  writeFileSync(join(project, 'migrations', '1_users.sql'), migration('CREATE TABLE users (id int);'));
  writeFileSync(join(project, 'migrations', '2_posts.sql'), migration('CREATE TABLE posts (id int);'));
  const r = run(
    project,
    `import { migrate, status, PgwardError } from 'pgward';
const result = await migrate({ url: process.env.TEST_URL, dir: 'migrations' });
const report = await status({ url: process.env.TEST_URL, dir: 'migrations' });
let thrown;
try { await migrate({ url: process.env.TEST_URL, dir: 'migrations', to: '99' }); } catch (e) { thrown = e instanceof PgwardError ? e.exitCode : String(e); }
console.log(JSON.stringify({ applied: result.applied.map((a) => a.version), exitCode: result.exitCode, pending: report.pending.length, thrown }));
`,
    { TEST_URL: db.url },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { applied: ['1', '2'], exitCode: 0, pending: 0, thrown: 2 });
  const rows = await db.query("SELECT count(*)::int AS n FROM pgward.migrations WHERE version IN ('1', '2')");
  assert.equal(rows[0]!.n, 2);
});

test('invariant: an installed pgward/lint lints without the database driver installed at all', () => {
  const project = installInto('lint-only', ['pg', 'pg-copy-streams']);
  const r = run(
    project,
    `import { lintSql, RULES } from 'pgward/lint';
const result = await lintSql('ALTER TABLE users DROP COLUMN email;');
console.log(JSON.stringify({ rules: result.findings.map((f) => f.rule), known: RULES.length > 10 }));
`,
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(out.rules.includes('ban-drop-column'), r.stdout);
  assert.equal(out.known, true);
  // control: in that project the main entry, which does need pg, cannot load
  const main = run(project, `await import('pgward');\n`);
  assert.notEqual(main.code, 0);
  assert.match(main.stderr, /Cannot find package 'pg'/);
});

test('invariant: the installed package resolves types for pgward and pgward/lint by name', () => {
  const project = installInto('typed');
  const file = join(project, 'use.mts');
  writeFileSync(
    file,
    `import { migrate, type MigrateResult } from 'pgward';
import { lintSql, type LintFileResult } from 'pgward/lint';
const r: MigrateResult = await migrate({ url: 'postgresql://localhost/app', dir: 'db/migrations' });
const l: LintFileResult = await lintSql('SELECT 1');
// @ts-expect-error: internals are not part of the package's API
import { wipeDatabase } from 'pgward';
export { r, l, wipeDatabase };
`,
  );
  const errors = typeErrors([file]);
  assert.deepEqual(errors, []);
});
