// The JSON every --json command prints is written by src/json-writer.ts instead of JSON.stringify (a
// 40 MB report is never one string). Its promises: the same bytes as JSON.stringify for any value and
// indentation, chunks never rewritten once handed out, and through writeRedactedJson no secret written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeJson } from '../src/json-writer.js';
import { redactDeep, registerSecret, writeRedactedJson } from '../src/redact.js';

function written(value: unknown, space: number, hook?: (s: string) => string): string | undefined {
  const chunks: Buffer[] = [];
  // Kept as handed out, not copied: a writer that reused a chunk would corrupt the ones kept here.
  const wrote = writeJson(value, space, (c) => chunks.push(c), hook);
  return wrote ? Buffer.concat(chunks).toString('utf8') : undefined;
}

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AWKWARD_STRINGS = [
  '',
  'plain',
  'quote " and backslash \\ and \\" both',
  'line\nbreak\ttab\r\u0000\u001f\u007f',
  'é à ü — “curly” 日本語',
  'astral 😀 pair',
  'lone high \ud83d here',
  'lone low \ude00 here',
  'line separators \u2028 \u2029',
  '{"looks":"like json",[1,2]}',
  // long enough for the native copy (24 characters and more), ASCII and not
  'ALTER TABLE users ADD COLUMN new_256 text, DROP COLUMN old_256',
  'DROP COLUMN users.prénom_256 efface la colonne — 日本語 and its data',
];
const AWKWARD_NUMBERS = [
  0,
  -0,
  1,
  -1.5,
  1e21,
  1e-7,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -Infinity,
];

class WithToJson {
  constructor(readonly inner: unknown) {}
  toJSON(key: string) {
    return { key, inner: this.inner };
  }
}

function randomValue(next: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const kind = Math.floor(next() * (depth > 4 ? 6 : 11));
  switch (kind) {
    case 0:
      return pick(AWKWARD_STRINGS);
    case 1:
      return pick(AWKWARD_NUMBERS);
    case 2:
      return pick([true, false, null]);
    case 3:
      return pick([undefined, () => 1, Symbol('s')]);
    case 4:
      return new Date(Math.floor(next() * 2e12));
    case 5:
      return pick([new Number(4), new String('boxed'), new Boolean(false)]);
    case 6:
    case 7: {
      const arr: unknown[] = [];
      const n = Math.floor(next() * 5);
      for (let i = 0; i < n; i++) arr.push(randomValue(next, depth + 1));
      if (next() < 0.1) arr.length += 2; // holes
      return arr;
    }
    case 8:
      return new WithToJson(randomValue(next, depth + 1));
    default: {
      const obj: Record<string, unknown> = {};
      const n = Math.floor(next() * 5);
      for (let i = 0; i < n; i++)
        obj[pick([...AWKWARD_STRINGS, 'a', 'b', '__proto__x'])] = randomValue(next, depth + 1);
      return obj;
    }
  }
}

test('invariant: writeJson writes exactly the bytes JSON.stringify writes, for any value and indentation', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const value = randomValue(random(seed), 0);
    for (const space of [0, 1, 2, 4, 12, -3, 2.7]) {
      assert.equal(written(value, space), JSON.stringify(value, null, space), `seed ${seed}, space ${space}`);
    }
  }
  for (const top of [undefined, () => 1, Symbol('x'), 'text', 42, null, [], {}, new URL('http://h/p?q=1')])
    assert.equal(written(top, 2), JSON.stringify(top, null, 2));
});

test('invariant: writeJson hands out chunks it never rewrites, whatever their size', () => {
  const big = 'x'.repeat(3 * 1024 * 1024 + 7); // one string longer than a chunk
  const many = Array.from({ length: 40_000 }, (_, i) => ({
    i,
    text: `row ${i} é`,
    nested: [i, { deep: 'y'.repeat(i % 50) }],
  }));
  for (const value of [{ big }, many, [big, many.slice(0, 100), big]])
    assert.equal(written(value, 2), JSON.stringify(value, null, 2));
});

test('invariant: writeJson fails where JSON.stringify fails (a cycle, a BigInt) instead of writing a wrong document', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = { back: cyclic };
  assert.throws(() => written(cyclic, 2), TypeError);
  assert.throws(() => written({ n: 10n }, 2), TypeError);
  // The same object twice, not nested in itself, is not a cycle.
  const shared = { s: 1 };
  assert.equal(written([shared, shared], 2), JSON.stringify([shared, shared], null, 2));
});

test('invariant: no secret reaches a JSON document, in a value, a key, an escaped string or a URL object', () => {
  registerSecret('Js0n-Secr3t');
  registerSecret('quo"te\\pw');
  const doc = {
    findings: [{ sql: "SELECT dblink('host=db password=Js0n-Secr3t')" }, { sql: 'SELECT 1' }],
    'key-Js0n-Secr3t': 'a secret in a key',
    escaped: 'the secret quo"te\\pw needs escaping in JSON',
    url: 'postgresql://app:pw-in-a-url@db.example/prod',
    link: new URL('postgresql://app:url-object-pw@db.example/prod'),
    deep: [[[{ x: 'connect with password=hunter22 now' }]]],
  };
  const chunks: Buffer[] = [];
  assert.equal(
    writeRedactedJson(doc, 2, (c) => chunks.push(c)),
    true,
  );
  const out = Buffer.concat(chunks).toString('utf8');
  for (const secret of [
    'Js0n-Secr3t',
    'quo\\"te\\\\pw',
    'quo"te',
    'pw-in-a-url',
    'url-object-pw',
    'hunter22',
  ])
    assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
  const parsed = JSON.parse(out);
  assert.equal(parsed.findings[1].sql, 'SELECT 1', 'what holds no secret is written as it is');
  // Values without secrets in keys come out as JSON.stringify(redactDeep(v)) always did.
  const plain = { list: [{ sql: 'password=abc', n: 1 }, 'ok'] };
  const c2: Buffer[] = [];
  writeRedactedJson(plain, 2, (c) => c2.push(c));
  assert.equal(Buffer.concat(c2).toString('utf8'), JSON.stringify(redactDeep(plain), null, 2));
});
