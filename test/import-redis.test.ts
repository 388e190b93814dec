// pgward import from a real redis-server started for this file: the seed's settings/state keys, every
// Redis type mapped to JSON, values that cannot be imported reported before anything is written, SCAN
// (never KEYS), a password kept out of every output, and --snapshot reading an RDB dump as it was.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImportResult } from '../src/import/import.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { runCli } from './harness/project.js';
import { type RedisServer, startRedis } from './harness/redis.js';

const PASSWORD = 'r3dis-Secr3t/pw';
let redis: RedisServer;
before(async () => {
  redis = await startRedis({ password: PASSWORD });
  const c = redis.client;
  await c.set('settings', JSON.stringify({ automation_enabled: true, poll_interval_seconds: 15 }));
  await c.set('state', JSON.stringify({ last_run: '2026-01-14T09:30:00Z', errors: [] }));
  await c.set('app:json', '{"b": 2, "a": {"nested": [1, 2.5, "x", null, true]}}');
  await c.set('app:plain', 'hello world');
  await c.set('app:number-like', '42');
  await c.hset('app:hash', { name: 'Ada', city: 'London' });
  await c.rpush('app:list', 'c', 'a', 'b');
  await c.sadd('app:set', 'z', 'x', 'y');
  await c.zadd('app:zset', 3, 'three', 1, 'one', 2, 'two');
  await c.set('bad:binary', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  await c.xadd('bad:stream', '*', 'f', 'v');
});
after(async () => {
  await redis?.stop();
});

async function target(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await db.query(
    'CREATE TABLE json_store (kind text PRIMARY KEY, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())',
  );
  return db;
}
const stored = async (db: TestDatabase) =>
  Object.fromEntries(
    (
      (await db.query('SELECT kind, data FROM json_store ORDER BY kind')) as Array<{
        kind: string;
        data: unknown;
      }>
    ).map((r) => [r.kind, r.data]),
  );

describe('import from Redis', () => {
  it("imports the seed's settings and state keys with SCAN, never KEYS, and keeps the password out", async () => {
    const db = await target();
    await redis.client.config('RESETSTAT');
    const r = await runCli(['import', '--redis', redis.url, '--pattern', 's*', '--url', db.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ImportResult;
    assert.equal(doc.proof?.match, true);
    assert.deepEqual(Object.keys(await stored(db)), ['settings', 'state']);
    const stats = await redis.client.info('commandstats');
    assert.match(stats, /cmdstat_scan:/);
    assert.doesNotMatch(stats, /cmdstat_keys:/);
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
    assert.ok(!r.stdout.includes(encodeURIComponent(PASSWORD)));

    // --redis without a value reads PGWARD_REDIS_URL: the password stays out of argv
    const fromEnv = await runCli(['import', '--redis', '--pattern', 's*', '--url', db.url], {
      env: { PGWARD_REDIS_URL: redis.url },
    });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /0 inserted, 0 updated, 2 unchanged/);
    assert.match(fromEnv.stdout, /Redis redis:\/\/default:\*+@127\.0\.0\.1/);

    const wrong = await runCli([
      'import',
      '--redis',
      redis.url.replace(encodeURIComponent(PASSWORD), 'nope-Wr0ng'),
      '--url',
      db.url,
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /cannot read Redis redis:\/\/default:\*+@127\.0\.0\.1/);
    assert.ok(!wrong.stderr.includes('nope-Wr0ng'));
  });

  it('maps every Redis type to JSON', async () => {
    const db = await target();
    const r = await runCli(['import', '--redis', redis.url, '--pattern', 'app:*', '--url', db.url]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(await stored(db), {
      'app:hash': { city: 'London', name: 'Ada' },
      'app:json': { a: { nested: [1, 2.5, 'x', null, true] }, b: 2 },
      'app:list': ['c', 'a', 'b'],
      'app:number-like': '42',
      'app:plain': 'hello world',
      'app:set': ['x', 'y', 'z'],
      'app:zset': [
        { member: 'one', score: 1 },
        { member: 'two', score: 2 },
        { member: 'three', score: 3 },
      ],
    });
    assert.match(r.stdout, /proof: 7\/7 rows match/);
  });

  it('reports non-UTF-8 values and unsupported types before writing anything', async () => {
    const db = await target();
    const r = await runCli(['import', '--redis', redis.url, '--url', db.url]);
    assert.equal(r.code, 13);
    assert.match(r.stdout, /redis key bad:binary: not UTF-8: invalid byte 0xff at byte offset 1/);
    assert.match(r.stdout, /redis key bad:stream: Redis type stream is not imported/);
    assert.deepEqual(await stored(db), {});
    const skip = await runCli([
      'import',
      '--redis',
      redis.url,
      '--url',
      db.url,
      '--skip-invalid',
      '--reject-file',
      '/dev/null',
    ]);
    assert.equal(skip.code, 0, skip.stderr);
    assert.equal(Object.keys(await stored(db)).length, 9);
  });

  it('--snapshot reads an RDB dump exactly as it was, whatever the live server does after', async () => {
    const rdb = await redis.save();
    await redis.client.set('app:plain', 'changed after the dump');
    await redis.client.set('app:new', '"added after the dump"');
    const db = await target();
    const r = await runCli(['import', '--snapshot', rdb, '--pattern', 'app:*', '--url', db.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = await stored(db);
    assert.equal(rows['app:plain'], 'hello world');
    assert.equal(rows['app:new'], undefined);
    assert.equal((JSON.parse(r.stdout) as ImportResult).proof?.match, true);
    // a snapshot import killed with SIGKILL leaves its private server; the next --snapshot run stops it
    const slow = await runCli(
      ['import', '--snapshot', rdb, '--pattern', 'app:*', '--batch-size', '1', '--url', db.url],
      {
        env: { PGWARD_IMPORT_PAUSE_MS: '2000' },
        onSpawn: (child) => {
          void (async () => {
            while (
              !readdirSync(tmpdir()).some(
                (d) => d.startsWith('pgward-rdb-') && existsSync(join(tmpdir(), d, 'owner')),
              )
            )
              await new Promise((res) => setTimeout(res, 50));
            await new Promise((res) => setTimeout(res, 300));
            child.kill('SIGKILL');
          })();
        },
      },
    );
    assert.equal(slow.signal, 'SIGKILL');
    const orphans = readdirSync(tmpdir()).filter((d) => d.startsWith('pgward-rdb-'));
    assert.ok(orphans.length > 0, 'the killed run left its folder (and server)');
    const again = await runCli(['import', '--snapshot', rdb, '--pattern', 'app:*', '--url', db.url]);
    assert.equal(again.code, 0, again.stderr);
    for (const d of orphans) assert.equal(existsSync(join(tmpdir(), d)), false, `${d} swept`);
    assert.equal(readdirSync(tmpdir()).filter((d) => d.startsWith('pgward-rdb-')).length, 0);

    const gone = await runCli(['import', '--snapshot', '/nonexistent.rdb', '--url', db.url]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /--snapshot \/nonexistent\.rdb: no such file/);
  });
});
