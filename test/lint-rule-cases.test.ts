// Every rule's own cases (src/lint/rules/<id>.ts, `cases`): each input gives exactly the expected findings
// of that rule, with their file line and lock. The cases are the rule's specification next to its code;
// the edges that matter (a table created in the same file, transaction context, PostgreSQL version) are
// among them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lintSql, RULES } from '../src/lint/index.js';

const MIN_CASES = 4;

test(`invariant: every rule has at least ${MIN_CASES} cases, at least one flagged and one fine`, () => {
  const thin = RULES.filter(
    (r) =>
      r.cases.length < MIN_CASES ||
      !r.cases.some((c) => c.expect.length > 0) ||
      !r.cases.some((c) => c.expect.length === 0),
  ).map((r) => `${r.id} (${r.cases.length})`);
  assert.deepEqual(thin, []);
});

test('invariant: every example in the docs is one of its rule cases (so it is checked exactly)', () => {
  const missing = RULES.flatMap((r) =>
    [...r.examples.bad, ...r.examples.good]
      .filter((sql) => !r.cases.some((c) => c.sql === sql))
      .map((sql) => `${r.id}: ${sql}`),
  );
  assert.deepEqual(missing, []);
});

for (const rule of RULES) {
  const names = new Set<string>();
  for (const c of rule.cases) {
    assert.ok(!names.has(c.name), `${rule.id}: two cases named "${c.name}"`);
    names.add(c.name);
    test(`invariant: ${rule.id} reports exactly its expected line and lock: ${c.name}`, async () => {
      const r = await lintSql(c.sql, {
        migration: c.migration === true,
        ...(c.pgVersion ? { pgVersion: c.pgVersion } : {}),
      });
      const got = r.findings.filter((f) => f.rule === rule.id);
      assert.deepEqual(
        got.map((f) => [f.line, f.lock]),
        c.expect,
        `${c.sql}\nfindings: ${r.findings.map((f) => `${f.line} ${f.rule} ${f.lock}`).join('; ')}`,
      );
    });
  }
}
