// The import-graph check (`npm run check:imports`, .dependency-cruiser.cjs) must pass on src/ as it is
// and must fail when a change breaks a layer rule. Each case breaks a throwaway copy of src/ with one
// real import and runs the real dependency-cruiser on it: a rule that cannot fail proves nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const repo = resolve(import.meta.dirname, '..');
const depcruise = join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  from: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

interface CheckResult {
  violations: Violation[];
  output: string;
}

function checkImports(dir: string): CheckResult {
  const r = spawnSync(
    process.execPath,
    [depcruise, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
    { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const violations = (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
  const output = violations.map((v) => `${v.rule.name}: ${v.from}`).join('\n') + r.stderr;
  return { violations, output };
}

/** Exit status of `npm run check:imports` (what CI runs) in `dir`. */
function npmCheckStatus(dir: string): { status: number | null; output: string } {
  const r = spawnSync('npm', ['run', '--silent', 'check:imports'], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const copies: string[] = [];
after(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** A copy of what the checker reads (src, tsconfig, its config), sharing the real node_modules. */
function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-graph-'));
  copies.push(dir);
  cpSync(join(repo, 'src'), join(dir, 'src'), { recursive: true });
  for (const f of ['tsconfig.json', '.dependency-cruiser.cjs', 'package.json'])
    cpSync(join(repo, f), join(dir, f));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** A fresh copy with one more `import '<spec>'` at the end of each given file (paths under src/). */
function copyWithImports(imports: [file: string, spec: string][]): string {
  const dir = copyProject();
  for (const [file, spec] of imports) {
    const path = join(dir, 'src', file);
    readFileSync(path); // the file must exist: a typo here would make the case vacuous
    appendFileSync(path, `\nimport '${spec}';\n`);
  }
  return dir;
}

/** Each added import must fail the check under `rule`, reported against the importing file itself. */
function assertEachRejected(rule: string, imports: [file: string, spec: string][]): void {
  const r = checkImports(copyWithImports(imports));
  for (const [file] of imports) {
    const hit = r.violations.some((v) => v.rule.name === rule && v.from === `src/${file}`);
    assert.ok(hit, `expected ${rule} for src/${file}; got:\n${r.output}`);
  }
}

/** The added imports must close a loop through exactly these folders (and the check must fail). */
function assertFolderLoop(imports: [file: string, spec: string][], folders: string[], viaNpm = false): void {
  const dir = copyWithImports(imports);
  if (viaNpm) {
    // What CI runs must exit non-zero, not just report.
    const npm = npmCheckStatus(dir);
    assert.notEqual(npm.status, 0, `npm run check:imports passed despite a loop:\n${npm.output}`);
  }
  const r = checkImports(dir);
  const want = folders.map((f) => `src/${f}`).sort();
  const hit = r.violations.some(
    (v) =>
      v.rule.name === 'no-folder-cycles' &&
      JSON.stringify((v.cycle ?? []).map((c) => c.name).sort()) === JSON.stringify(want),
  );
  assert.ok(hit, `expected a folder loop ${want.join(' -> ')}; got:\n${r.output}`);
}

test('invariant: src as committed has no folder cycles and respects every layer rule', () => {
  const npm = npmCheckStatus(repo);
  assert.equal(npm.status, 0, npm.output);
  assert.deepEqual(checkImports(repo).violations, []);
});

test('invariant: any loop between folders fails the import check', () => {
  // Two-folder loops, each closing an edge that exists today the other way round.
  assertFolderLoop([['backup/retention.ts', '../migrate/lock.js']], ['backup', 'migrate'], true);
  assertFolderLoop([['doctor/format.ts', '../serve/state.js']], ['doctor', 'serve']);
  // A three-folder loop: rehearse -> clone exists; clone -> recover and recover -> rehearse close it.
  assertFolderLoop(
    [
      ['clone/drift.ts', '../recover/index.js'],
      ['recover/index.ts', '../rehearse/report.js'],
    ],
    ['clone', 'recover', 'rehearse'],
  );
});

test('invariant: nothing outside src/cli imports src/cli', () => {
  assertEachRejected('only-cli-imports-cli', [
    ['migrate/plan.ts', '../cli/output.js'],
    ['backup/manifest.ts', '../cli/output.js'],
    ['serve/http.ts', '../cli/context.js'],
    ['lint/rules/ban-truncate.ts', '../../cli/output.js'],
    ['config/load.ts', '../cli/output.js'],
    ['index.ts', './cli/output.js'],
  ]);
});

test('invariant: src/lint never imports src/db or the pg driver', () => {
  assertEachRejected('lint-never-imports-db-or-pg', [
    ['lint/version.ts', '../db/connect.js'],
    ['lint/rules/ban-char-field.ts', 'pg'],
    ['lint/format/json.ts', 'pg-copy-streams'],
  ]);
});

test('invariant: a low layer (config, sql, files, db, pgtools, identity) never imports a capability', () => {
  assertEachRejected('low-layers-never-import-capabilities', [
    ['config/find.ts', '../backup/retention.js'],
    ['db/pg-error.ts', '../lint/version.js'],
    ['identity/describe.ts', '../doctor/eol.js'],
    ['files/markers.ts', '../migrate/lock.js'],
    ['config/sections/serve.ts', '../../serve/config.js'],
    ['pgtools/pgbin.ts', '../clone/mask.js'],
    ['sql/split.ts', '../frameworks/types.js'],
  ]);
});

test('invariant: the low layers keep their order (config, sql < files < db, pgtools < identity)', () => {
  // One copy for all four: each added import is reported against its own file under its own rule.
  const r = checkImports(
    copyWithImports([
      ['config/duration.ts', '../identity/describe.js'],
      ['sql/split.ts', '../files/markers.js'],
      ['db/pg-error.ts', '../identity/describe.js'],
      ['errors.ts', './config/duration.js'],
    ]),
  );
  for (const [rule, from] of [
    ['layer-order-config', 'src/config/duration.ts'],
    ['layer-order-sql', 'src/sql/split.ts'],
    ['layer-order-db', 'src/db/pg-error.ts'],
    ['layer-order-base', 'src/errors.ts'],
  ]) {
    assert.ok(
      r.violations.some((v) => v.rule.name === rule && v.from === from),
      `expected ${rule} for ${from}:\n${r.output}`,
    );
  }
});

test('invariant: only the CLI imports the library entry (src/index.ts); code inside src imports directly', () => {
  assertEachRejected('only-the-cli-imports-the-library-entry', [
    ['clone/endpoint.ts', '../index.js'],
    ['rehearse/report.ts', '../index.js'],
    ['config/find.ts', '../index.js'],
  ]);
});

test('invariant: an import the checker cannot resolve fails the check (it could hide any violation)', () => {
  const dir = copyProject();
  writeFileSync(join(dir, 'src', 'migrate', 'ghost.ts'), "import '../nowhere/missing.js';\n");
  const r = checkImports(dir);
  assert.ok(
    r.violations.some((v) => v.rule.name === 'no-unresolvable-imports' && v.from === 'src/migrate/ghost.ts'),
    r.output,
  );
});
