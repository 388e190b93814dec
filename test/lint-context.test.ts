// Suppression, file lines in migrations, DO blocks, versions, the JSON contract and the gate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPolicy } from '../src/config/target.js';
import { toJson } from '../src/lint/format/json.js';
import { decideGate, lintSql } from '../src/lint/index.js';

test('an ignore comment suppresses the named rule on the next statement only', async () => {
  const r = await lintSql(
    '-- pgward:ignore ban-drop-column reason="unused since v3"\nALTER TABLE users DROP COLUMN a;\nALTER TABLE users DROP COLUMN b;',
  );
  const drops = r.findings.filter((f) => f.rule === 'ban-drop-column');
  assert.deepEqual(
    drops.map((f) => f.line),
    [3],
  );
  assert.equal(r.suppressed.length, 1);
  assert.equal(r.suppressed[0]!.reason, 'unused since v3');
});

test('unknown, unused and reason-less ignores are findings themselves', async () => {
  const r = await lintSql(
    '-- pgward:ignore ban-drop-colum reason="typo"\nALTER TABLE users DROP COLUMN a;\n-- pgward:ignore ban-drop-table reason="x"\nSELECT 1;\n-- pgward:ignore ban-truncate\nTRUNCATE t;',
  );
  const rules = r.findings.map((f) => `${f.line}:${f.rule}`);
  assert.ok(rules.includes('1:unknown-ignore-rule'));
  assert.ok(rules.includes('2:ban-drop-column'), 'the typo suppressed nothing');
  assert.ok(rules.includes('3:unused-ignore'));
  assert.ok(rules.includes('5:ignore-without-reason'));
  assert.ok(!rules.includes('6:ban-truncate'), 'a reason-less ignore still applies');
});

test('several rules in one ignore comment', async () => {
  const r = await lintSql(
    '-- pgward:ignore ban-drop-column, require-concurrent-index-creation reason="maintenance window"\nALTER TABLE users DROP COLUMN a;',
  );
  assert.ok(
    r.findings.some((f) => f.rule === 'unused-ignore' && /require-concurrent-index-creation/.test(f.message)),
  );
  assert.ok(!r.findings.some((f) => f.rule === 'ban-drop-column'));
});

test('findings in migrations carry file lines, not section lines; --down adds the down section', async () => {
  const text =
    '-- a comment\n-- migrate:up\nCREATE TABLE a (id bigint);\n\nALTER TABLE users DROP COLUMN x;\n\n-- migrate:down\nDROP TABLE users;\n';
  const up = await lintSql(text, { migration: true });
  assert.deepEqual(
    up.findings.map((f) => [f.rule, f.line, f.column]),
    [['ban-drop-column', 5, 1]],
  );
  const both = await lintSql(text, { migration: true, down: true });
  assert.deepEqual(
    both.findings.map((f) => [f.rule, f.line]),
    [
      ['ban-drop-column', 5],
      ['ban-drop-table', 8],
    ],
  );
});

test('statements inside DO blocks are reported on their own file line', async () => {
  const r = await lintSql(
    "SELECT 1;\nDO $$\nBEGIN\n  EXECUTE 'CREATE INDEX j ON orders(x)';\n  ALTER TABLE orders DROP COLUMN y;\nEND $$;",
  );
  const lines = r.findings.filter((f) => f.category !== 'robustness').map((f) => [f.rule, f.line]);
  assert.deepEqual(lines, [
    ['require-concurrent-index-creation', 4],
    ['ban-drop-column', 5],
  ]);
});

test('version-dependent rules follow --pg-version', async () => {
  const sql = 'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT false;';
  assert.ok(
    (await lintSql(sql, { pgVersion: '10' })).findings.some((f) => f.rule === 'adding-field-with-default'),
  );
  assert.ok(
    !(await lintSql(sql, { pgVersion: '11' })).findings.some((f) => f.rule === 'adding-field-with-default'),
  );
  const cic = 'CREATE INDEX CONCURRENTLY i ON users(email);';
  assert.ok(
    (await lintSql(cic, { pgVersion: '14.3' })).findings.some((f) => f.rule === 'cic-pg14-corruption'),
  );
  assert.ok(
    !(await lintSql(cic, { pgVersion: '14.4' })).findings.some((f) => f.rule === 'cic-pg14-corruption'),
  );
});

test('the timeout rules apply to SQL run by other tools, not to pgward migrations', async () => {
  const sql = 'ALTER TABLE users ADD COLUMN nickname text;';
  assert.ok((await lintSql(sql)).findings.some((f) => f.rule === 'require-lock-timeout'));
  assert.ok(
    !(await lintSql(sql, { migration: true })).findings.some((f) => f.rule === 'require-lock-timeout'),
  );
  assert.ok(
    !(await lintSql(`SET lock_timeout = '1s';\n${sql}`)).findings.some(
      (f) => f.rule === 'require-lock-timeout',
    ),
  );
});

test('the JSON output has exactly the contract fields', async () => {
  const r = await lintSql('ALTER TABLE orders DROP COLUMN note;', { file: 'x.sql' });
  const doc = toJson({ files: [r], summary: {} as never });
  assert.deepEqual(Object.keys(doc), ['files', 'summary']);
  assert.deepEqual(Object.keys(doc.files[0]!), ['file', 'findings']);
  const f = doc.files[0]!.findings.find((x) => x.rule === 'ban-drop-column')!;
  assert.deepEqual(Object.keys(f), [
    'rule',
    'category',
    'severity',
    'line',
    'column',
    'statement',
    'lock',
    'relation',
    'message',
    'fix',
  ]);
  assert.deepEqual(
    { ...f, message: undefined, fix: undefined },
    {
      rule: 'ban-drop-column',
      category: 'destructive',
      severity: 'error',
      line: 1,
      column: 1,
      statement: 'ALTER TABLE orders DROP COLUMN note',
      lock: 'ACCESS EXCLUSIVE',
      relation: 'orders',
      message: undefined,
      fix: undefined,
    },
  );
});

test('gate: production blocks destructive, staging warns and pauses, errors always block', async () => {
  const destructive = (await lintSql('ALTER TABLE users DROP COLUMN a;', { migration: true })).findings;
  const blocking = (await lintSql('CREATE INDEX i ON users(email);', { migration: true })).findings;
  const broken = (await lintSql('CREATE INDEX CONCURRENTLY i ON users(email);', { migration: true }))
    .findings;
  const prod = defaultPolicy(true);
  const staging = defaultPolicy(false);
  assert.equal(decideGate(destructive, prod).decision, 'blocked');
  assert.equal(decideGate(destructive, prod, { approved: true }).decision, 'warn');
  const st = decideGate(destructive, staging);
  assert.equal(st.decision, 'warn');
  assert.equal(st.pauseSeconds, 10);
  assert.equal(decideGate(blocking, prod).decision, 'warn');
  assert.equal(decideGate(blocking, { ...prod, blocking: 'block' }).decision, 'blocked');
  assert.equal(decideGate(blocking, { ...prod, blocking: 'allow' }).decision, 'apply');
  assert.equal(decideGate(destructive, { ...prod, destructive: 'allow' }).decision, 'apply');
  const err = decideGate(broken, staging, { approved: true });
  assert.equal(err.decision, 'blocked');
  assert.equal(err.approvable, false);
  assert.equal(decideGate([], prod).decision, 'apply');
});
