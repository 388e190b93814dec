// pgward as a library lives in someone else's process: it must not retune that process (V8 flags), and
// the lint entry must not drag in the database driver. Checked on the built library (dist/), in fresh
// Node processes, exactly as a host application loads it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CLI, ROOT } from './harness/project.js';

const work = mkdtempSync(join(tmpdir(), 'pgward-host-'));
after(() => rmSync(work, { recursive: true, force: true }));

const DIST = join(ROOT, 'dist');
const lib = (rel: string) => JSON.stringify(pathToFileURL(join(DIST, rel)).href);

/**
 * A preload that records every v8.setFlagsFromString call (ESM imports of node:v8 see the patched
 * function after syncBuiltinESMExports) and writes them to `file` when the process exits.
 */
function flagRecorder(file: string): string {
  const path = join(work, `record-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    path,
    `import { createRequire, syncBuiltinESMExports } from 'node:module';
import { writeFileSync } from 'node:fs';
const v8 = createRequire(import.meta.url)('node:v8');
const calls = [];
const original = v8.setFlagsFromString;
v8.setFlagsFromString = (flags) => { calls.push(flags); return original(flags); };
syncBuiltinESMExports();
process.on('exit', () => writeFileSync(${JSON.stringify(file)}, JSON.stringify(calls)));
`,
  );
  return path;
}

function runNode(args: string[], cwd = work) {
  const r = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('invariant: importing the library and parsing SQL never changes the host process V8 flags', async () => {
  for (const [entry, call] of [
    ['index.js', "m.lintSql('ALTER TABLE t DROP COLUMN c;')"],
    ['lint/index.js', "m.lintSql('CREATE INDEX i ON t (c);')"],
    ['index.js', 'm.lintPaths([process.argv[2]])'],
  ] as const) {
    const calls = join(work, 'calls.json');
    const sqlFile = join(work, 'some.sql');
    writeFileSync(sqlFile, 'DROP TABLE users;\n');
    const script = join(work, 'host.mjs');
    writeFileSync(
      script,
      `const m = await import(${lib(entry)});
const r = await ${call};
const findings = r.findings ?? r.files.flatMap((f) => f.findings);
console.log(JSON.stringify(findings.map((f) => f.rule)));
`,
    );
    const r = runNode(['--import', pathToFileURL(flagRecorder(calls)).href, script, sqlFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).length > 0, `${entry}: the parser really ran (${r.stdout})`);
    assert.deepEqual(JSON.parse(readFileSync(calls, 'utf8')), [], `${entry} ${call} changed V8 flags`);
  }
});

test('invariant: the CLI, whose process is its own, still runs the parser on baseline WebAssembly code', () => {
  // The control for the test above: the recorder does see a call when one is made.
  const calls = join(work, 'cli-calls.json');
  const sqlFile = join(work, 'cli.sql');
  writeFileSync(sqlFile, 'SELECT 1;\n');
  const r = runNode(['--import', pathToFileURL(flagRecorder(calls)).href, CLI, 'lint', sqlFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(readFileSync(calls, 'utf8')), ['--liftoff-only']);
});

test('invariant: the lint entry lints SQL without loading the database driver', () => {
  // A resolve hook that makes `pg` impossible to load: the lint entry must not need it.
  const hooks = join(work, 'no-pg-hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
  if (/^pg(-[a-z-]+)?(\\/|$)/.test(specifier)) throw new Error('the lint entry loaded ' + specifier);
  return next(specifier, context);
}
`,
  );
  const register = join(work, 'no-pg.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  const script = join(work, 'lint-only.mjs');
  writeFileSync(
    script,
    `import { createRequire } from 'node:module';
const m = await import(${lib('lint/index.js')});
const r = await m.lintSql('ALTER TABLE users DROP COLUMN email;');
const require = createRequire(import.meta.url);
const loaded = Object.keys(require.cache).filter((p) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(p));
console.log(JSON.stringify({ rules: r.findings.map((f) => f.rule), loaded }));
`,
  );
  const r = runNode(['--import', pathToFileURL(register).href, script]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.loaded, []);
  assert.ok(out.rules.includes('ban-drop-column'), r.stdout);
  // Control: the same hook does stop the main entry's migrate path from loading pg.
  const control = join(work, 'needs-pg.mjs');
  writeFileSync(control, `await import(${lib('db/connect.js')});\n`);
  const c = runNode(['--import', pathToFileURL(register).href, control]);
  assert.notEqual(c.code, 0, 'the hook must be able to block pg');
  assert.match(c.stderr, /loaded pg/);
});
