// The library's public surface, checked on what is published (dist/*.d.ts, dist/*.js): every public
// function carries a TSDoc @example, and every example compiles against the published types, so the
// documentation cannot drift from the API.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { ROOT } from './harness/project.js';
import { typeErrors } from './harness/typecheck.js';

const ENTRIES = { pgward: 'dist/index.d.ts', 'pgward/lint': 'dist/lint/index.d.ts' } as const;
const work = mkdtempSync(join(tmpdir(), 'pgward-examples-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The exported functions of an entry with their JSDoc tags, read through the type checker. */
function publicFunctions(entry: string): { name: string; tags: ts.JSDocTagInfo[] }[] {
  const file = join(ROOT, entry);
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  assert.ok(source, `${entry} was built (npm run build)`);
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  return checker
    .getExportsOfModule(moduleSymbol)
    .map((s) => ({
      name: s.getName(),
      target: s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s,
    }))
    .filter(({ target }) => target.flags & ts.SymbolFlags.Function)
    .map(({ name, target }) => ({ name, tags: target.getJsDocTags(checker) }));
}

function examplesOf(tags: ts.JSDocTagInfo[]): string[] {
  return tags
    .filter((t) => t.name === 'example')
    .map((t) => ts.displayPartsToString(t.text))
    .map((text) => text.replace(/^```ts\n?/m, '').replace(/```\s*$/m, ''));
}

test('invariant: every public function of every entry has a TSDoc @example', () => {
  for (const entry of Object.values(ENTRIES)) {
    const fns = publicFunctions(entry);
    assert.ok(fns.length > 5, `${entry}: found its functions (${fns.length})`);
    const missing = fns.filter(
      (f) => examplesOf(f.tags).length === 0 && !f.tags.some((t) => t.name === 'deprecated'),
    );
    assert.deepEqual(
      missing.map((f) => f.name),
      [],
      `${entry}: public functions without an @example`,
    );
  }
});

test('invariant: every @example compiles against the published types', () => {
  const files: string[] = [];
  const seen = new Set<string>();
  for (const entry of Object.values(ENTRIES)) {
    for (const f of publicFunctions(entry)) {
      for (const example of examplesOf(f.tags)) {
        if (seen.has(example)) continue;
        seen.add(example);
        const path = join(work, `${f.name}-${files.length}.mts`);
        // each example is its own module: top-level await, its own imports
        writeFileSync(path, `${example}\nexport {};\n`);
        files.push(path);
      }
    }
  }
  assert.ok(files.length > 20, `examples found: ${files.length}`);
  const errors = typeErrors(files, {
    // what `import ... from 'pgward'` resolves to for a user who installed the package
    paths: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, [join(ROOT, v)]])),
    relativeTo: work,
  });
  assert.deepEqual(errors, []);
});

test('invariant: the main entry exports no internals', async () => {
  const names = Object.keys(await import(pathToFileURL(join(ROOT, 'dist/index.js')).href));
  for (const internal of [
    'wipeDatabase',
    'EXIT_VALIDATION_FAILED',
    'EXIT_OVER_BUDGET',
    'backupsSchema',
    'maskingSchema',
    'rehearsalSchema',
    'saveManifest',
    'parseConfigText',
    'statusWithClient',
    'planOnClient',
  ]) {
    assert.ok(!names.includes(internal), `${internal} is internal but exported`);
  }
  for (const pub of [
    'migrate',
    'status',
    'planMigrations',
    'rollback',
    'lintSql',
    'PgwardError',
    'ExitCode',
  ]) {
    assert.ok(names.includes(pub), `${pub} is public`);
  }
});
