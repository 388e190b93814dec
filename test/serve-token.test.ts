// serve's bearer token fails closed: a token that was asked for but is missing, empty or too short
// refuses to start (one line, exit 2); only the exact token opens the protected endpoints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';
import { get, startServe } from './harness/serve.js';

function project(url: string, serve = ''): string {
  return makeProject({ 'pgward.yaml': `environments:\n  prod:\n    url: ${url}\n${serve}` });
}

async function refused(dir: string, env: Record<string, string | undefined>, expect: RegExp): Promise<void> {
  const r = await runCli(['serve', '--port', '0'], { cwd: dir, env });
  assert.equal(r.code, 2, `${JSON.stringify(env)}: ${r.stderr}`);
  assert.match(r.stderr, expect);
  assert.equal(r.stderr.trim().split('\n')[0]!.startsWith('error:'), true, r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.stderr, /listening on/);
}

test('invariant: serve refuses to start when token_env names a variable that is unset, empty or blank', async () => {
  const db = await createTestDatabase();
  const dir = project(db.url, 'serve:\n  token_env: MY_SERVE_TOKEN\n');
  await refused(dir, { MY_SERVE_TOKEN: undefined }, /MY_SERVE_TOKEN is not set/);
  await refused(dir, { MY_SERVE_TOKEN: '' }, /MY_SERVE_TOKEN is empty/);
  await refused(dir, { MY_SERVE_TOKEN: '   ' }, /MY_SERVE_TOKEN is empty/);
  // The default variable, present but empty, is a token asked for and missing too.
  const plain = project(db.url);
  await refused(plain, { PGWARD_SERVE_TOKEN: '' }, /PGWARD_SERVE_TOKEN is empty/);
});

test('invariant: serve refuses a token shorter than 16 characters and says the minimum', async () => {
  const db = await createTestDatabase();
  const dir = project(db.url, 'serve:\n  token_env: MY_SERVE_TOKEN\n');
  for (const short of ['x', 'abc123', '123456789012345'])
    await refused(dir, { MY_SERVE_TOKEN: short }, /shorter than 16 characters/);
  const r = await runCli(['serve', '--port', '0'], { cwd: dir, env: { MY_SERVE_TOKEN: 'abc' } });
  assert.ok(!r.stderr.includes('abc '), 'the short token itself is not echoed');
});

test('invariant: only the exact token opens /metrics; shorter, longer, prefixed and same-length guesses do not', async () => {
  const db = await createTestDatabase();
  const dir = project(db.url, 'serve:\n  token_env: MY_SERVE_TOKEN\n  refresh_interval: 200ms\n');
  const token = 'exactly-16-chars'; // the minimum is accepted
  assert.equal(token.length, 16);
  const s = await startServe(dir, [], { MY_SERVE_TOKEN: token });
  try {
    const status = async (t: string) =>
      (await get(`${s.url}/metrics`, t === '' ? {} : { authorization: `Bearer ${t}` })).status;
    assert.equal(await status(token), 200);
    for (const wrong of [
      '',
      token.slice(0, 15),
      `${token}x`,
      `x${token}`,
      'exactly-16-charz',
      token.toUpperCase(),
      'a'.repeat(1000),
    ])
      assert.equal(await status(wrong), 401, JSON.stringify(wrong));
    assert.ok(!s.logs().includes(token), 'the token is never logged');
  } finally {
    await s.stop();
  }
});

test('invariant: without token_env and without the default variable, serve runs open (documented)', async () => {
  const db = await createTestDatabase();
  const s = await startServe(project(db.url, 'serve:\n  refresh_interval: 200ms\n'), [], {});
  try {
    assert.match(s.logs(), /no token/);
    assert.equal((await get(`${s.url}/up`)).status, 200);
  } finally {
    await s.stop();
  }
});
