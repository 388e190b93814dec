// The rule documentation is generated from the rule files (scripts/gen-rule-docs.ts): the committed pages
// and the index in docs/lint.md must be exactly what the generator renders now.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  INDEX_END,
  INDEX_START,
  ROOT,
  RULES_DIR,
  renderAll,
  renderLintDoc,
} from '../scripts/gen-rule-docs.js';
import { RULES } from '../src/lint/index.js';

const STALE = 'out of date: run npm run docs:rules';

test('invariant: the committed rule docs equal the generated ones', () => {
  for (const [path, want] of renderAll()) {
    let have: string | undefined;
    try {
      have = readFileSync(join(ROOT, path), 'utf8');
    } catch {
      have = undefined;
    }
    assert.ok(have !== undefined, `${path} is missing: run npm run docs:rules`);
    assert.ok(have === want, `${path} is ${STALE}`);
  }
});

test('invariant: docs/rules holds exactly one page per rule (no page of a removed rule)', () => {
  const pages = readdirSync(join(ROOT, RULES_DIR)).sort();
  assert.deepEqual(pages, RULES.map((r) => `${r.id}.md`).sort(), `docs/rules is ${STALE}`);
});

test('invariant: every rule page states its rule text, category, severity and every case', () => {
  const files = renderAll();
  for (const r of RULES) {
    const page = files.get(`${RULES_DIR}/${r.id}.md`)!;
    for (const part of [r.why, r.fix, `**Category:** ${r.category}`, `**Severity:** ${r.severity}`])
      assert.ok(page.includes(part), `${r.id}: page lacks ${part}`);
    for (const c of r.cases) assert.ok(page.includes(`**${c.name}**`), `${r.id}: page lacks case ${c.name}`);
  }
});

test('invariant: regenerating docs/lint.md keeps the hand-written parts and replaces only the index', () => {
  const doc = `# intro\nhand-written\n\n${INDEX_START}\nstale table\n${INDEX_END}\n\n## after\nkept\n`;
  const out = renderLintDoc(doc);
  assert.ok(out.startsWith('# intro\nhand-written\n\n'));
  assert.ok(out.endsWith(`${INDEX_END}\n\n## after\nkept\n`));
  assert.ok(!out.includes('stale table'));
  for (const r of RULES) assert.ok(out.includes(`[\`${r.id}\`](rules/${r.id}.md)`), r.id);
  assert.equal(renderLintDoc(out), out, 'rendering is idempotent');
  assert.throws(() => renderLintDoc('# no markers\n'), /markers/);
});
