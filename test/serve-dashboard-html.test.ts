// The dashboard's HTML building blocks, without a server: the one escape function, the tagged template
// that applies it to every value, the JSON block that no string can close, and server-side paging.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { esc, html, paginate, trusted } from '../src/serve/dashboard/html.js';
import { scriptJson } from '../src/serve/dashboard/view.js';

const HOSTILE = `"><script>alert(1)</script><img src=x onerror='alert(2)'>&amp;\``;

test('html escapes every interpolated value, in text and attributes, arrays included; only html output passes as is', () => {
  const out =
    html`<p title="${HOSTILE}">${HOSTILE}${[HOSTILE, html`<b>${HOSTILE}</b>`]}${null}${undefined}${false}${0}</p>`
      .value;
  assert.ok(!/<script|<img/i.test(out), out);
  assert.equal((out.match(/<b>/g) ?? []).length, 1, 'markup built by html stays markup');
  assert.ok(!out.includes(`"><`) && !out.includes(`'alert`), 'quotes cannot end an attribute');
  assert.ok(out.includes('&amp;amp;'), 'an entity in the data shows as text');
  assert.ok(out.endsWith('0</p>'), 'falsy values other than 0 render nothing');
  assert.equal(esc('<a href="x">\'`&'), '&lt;a href=&quot;x&quot;&gt;&#39;&#96;&amp;');
  assert.equal(html`${trusted('<i>ok</i>')}`.value, '<i>ok</i>');
});

test('the chart JSON block cannot be closed nor commented by a string, and parses back to the same value', () => {
  const value = { name: '</script><script>alert(1)</script><!-- \u2028\u2029 &', n: [1, 2] };
  const s = scriptJson(value);
  assert.ok(!/[<>&\u2028\u2029]/.test(s), s);
  assert.deepEqual(JSON.parse(s), value);
});

test('paging clamps to the first and last page and says how many there are', () => {
  const list = Array.from({ length: 23 }, (_, i) => i);
  assert.deepEqual(paginate(list, 1, 10), { rows: list.slice(0, 10), page: 1, pages: 3, total: 23 });
  assert.deepEqual(paginate(list, 3, 10).rows, [20, 21, 22]);
  assert.equal(paginate(list, 99, 10).page, 3);
  assert.equal(paginate(list, -4, 10).page, 1);
  assert.equal(paginate(list, Number.NaN, 10).page, 1);
  assert.deepEqual(paginate([], 2, 10), { rows: [], page: 1, pages: 1, total: 0 });
});
