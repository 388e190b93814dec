// Lint is pure: it analyses SQL and the schema facts it is handed, and loads no database driver and no CLI
// code. Checked in a fresh node process whose module resolution refuses the driver, so a stray import of
// pg anywhere under the lint entry (static or dynamic, direct or through another module) fails the run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lintSql, type SchemaFacts, type TableInfo } from '../src/lint/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A resolve hook that throws when the PostgreSQL driver (pg or one of its pg-* parts) is resolved. */
const NO_DRIVER_HOOK = `
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/[\\\\/]node_modules[\\\\/]pg(-[a-z-]+)?[\\\\/]/.test(r.url))
    throw new Error('database driver loaded: ' + specifier + ' from ' + context.parentURL);
  return r;
}`;

/** Runs `script` (an ES module body) with the no-driver hook (and tsx for sources); returns the result. */
function runWithoutDriver(script: string, { tsx = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-pure-'));
  try {
    const hook = join(dir, 'no-driver.mjs');
    writeFileSync(hook, NO_DRIVER_HOOK);
    const register = join(dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
    );
    const main = join(dir, 'main.mjs');
    writeFileSync(main, script);
    const loaders = tsx ? ['--import', 'tsx'] : [];
    return spawnSync(process.execPath, [...loaders, '--import', pathToFileURL(register).href, main], {
      cwd: ROOT,
      encoding: 'utf8',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const src = (p: string) => JSON.stringify(pathToFileURL(join(ROOT, p)).href);

test('invariant: the lint entry lints (human, JSON and GitHub output) with no database driver loadable', () => {
  const r = runWithoutDriver(`
    const lint = await import(${src('src/lint/index.ts')});
    const { printHuman } = await import(${src('src/lint/format/human.ts')});
    const { toJson } = await import(${src('src/lint/format/json.ts')});
    const { toGithub } = await import(${src('src/lint/format/github.ts')});
    const { planMarkdown } = await import(${src('src/lint/format/markdown.ts')});
    const input = await lint.prepareSql('ALTER TABLE users DROP COLUMN email;', { file: 'x.sql' });
    const report = lint.lintPrepared(input);
    const one = report.files[0];
    const lines = [];
    printHuman({ c: new Proxy({}, { get: () => (s) => s }), line: (t = '') => lines.push(t) }, report);
    toJson(report); toGithub(report); planMarkdown('prod', []);
    process.stdout.write(one.findings.map((f) => f.rule).join(',') + '|' + lines.at(-1));
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    'ban-drop-column,require-lock-timeout,require-statement-timeout|3 findings in 1 file (1 statements, PostgreSQL 18) — 1 destructive, 2 robustness',
  );
});

test('invariant: the built library entry (dist/lint/index.js) lints with no database driver loadable', () => {
  // Plain node, no TypeScript loader: what a library user imports after npm run build.
  const r = runWithoutDriver(
    `const lint = await import(${src('dist/lint/index.js')});
     const r = await lint.lintSql('DROP TABLE audit_old;');
     process.stdout.write(r.findings.map((f) => f.line + ':' + f.rule + ':' + f.lock).join(','));`,
    { tsx: false },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    '1:ban-drop-table:ACCESS EXCLUSIVE,1:require-lock-timeout:ACCESS EXCLUSIVE,1:require-statement-timeout:ACCESS EXCLUSIVE',
  );
});

test('invariant: the no-driver check fails when something does load the driver (control)', () => {
  const r = runWithoutDriver(`await import(${src('src/db/schema-facts.ts')});`);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /database driver loaded: pg/);
});

test('invariant: no file under src/lint imports the CLI, the database code or the driver', () => {
  const files: string[] = [];
  const visit = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) visit(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  visit(join(ROOT, 'src/lint'));
  assert.ok(files.length > 60);
  const offending = files.filter((f) =>
    /(from|import\()\s*'((\.\.\/)+(cli|db)\/[^']*|pg|pg-[a-z-]+)'/.test(readFileSync(f, 'utf8')),
  );
  assert.deepEqual(offending, []);
});

test('invariant: schema facts are a plain value: the same facts give the same findings, without a database', async () => {
  const table = (name: string, rows: number, bytes: number): TableInfo => ({
    schema: 'public',
    name,
    rows,
    bytes,
    empty: rows === 0 && bytes === 0,
    columns: new Map([['email', { type: 'text', notNull: false }]]),
    notNullChecked: new Set(),
    constraints: new Map(),
    indexLeads: [],
    checkedColumns: new Set(),
  });
  const facts: SchemaFacts = {
    serverVersionNum: 100005,
    tables: new Map([
      ['users', table('users', 2_100_000, 380 * 1024 * 1024)],
      ['empty_t', table('empty_t', 0, 0)],
    ]),
    functionVolatility: new Map([['my_fn', 'v']]),
    indexes: new Map([['users_email_idx', { table: 'users', hasNullableColumn: true }]]),
  };
  const sql =
    'CREATE INDEX a ON users(email);\nCREATE INDEX b ON empty_t(email);\nCREATE INDEX c ON nowhere(x);\nDROP INDEX users_email_idx;\nALTER TABLE users ADD COLUMN k int DEFAULT 1;';
  const r = await lintSql(sql, { schemaFacts: facts });
  const about = new Set([
    'require-concurrent-index-creation',
    'require-concurrent-index-deletion',
    'adding-field-with-default',
  ]);
  const got = r.findings
    .filter((f) => about.has(f.rule))
    .map((f) => [f.line, f.rule, f.severity, f.relation, f.message]);
  const build = (t: string) =>
    `CREATE INDEX on ${t} without CONCURRENTLY blocks writes to ${t} for the whole build`;
  assert.deepEqual(got, [
    [
      1,
      'require-concurrent-index-creation',
      'error',
      'users',
      `${build('users')} — users: 2.1M rows, 380 MB`,
    ],
    [
      2,
      'require-concurrent-index-creation',
      'info',
      'empty_t',
      `${build('empty_t')} (empty_t is empty: nothing to scan)`,
    ],
    [
      3,
      'require-concurrent-index-creation',
      'info',
      'nowhere',
      `${build('nowhere')} (nowhere does not exist in the database yet: treated as new)`,
    ],
    [
      4,
      'require-concurrent-index-deletion',
      'warning',
      'users (index users_email_idx)',
      'DROP INDEX users_email_idx takes ACCESS EXCLUSIVE on users: reads and writes wait — users: 2.1M rows, 380 MB',
    ],
    [
      5,
      'adding-field-with-default',
      'error',
      'users',
      'ADD COLUMN k with a DEFAULT rewrites users on PostgreSQL 10 (fast defaults need 11+) — users: 2.1M rows, 380 MB',
    ],
  ]);
  assert.deepEqual(await lintSql(sql, { schemaFacts: facts }), r);
});
