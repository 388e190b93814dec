// pgward import from a rediss:// URL: a real redis-server listening only on TLS, with a certificate for
// 127.0.0.1 signed by a CA the test makes with openssl. The CA is given by --redis-ca or by
// import.redis.tls_ca in pgward.yaml; without it the certificate is not trusted and nothing is written.
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';
import { type RedisServer, startRedis } from './harness/redis.js';

let redis: RedisServer;
before(async () => {
  redis = await startRedis({ tls: true, password: 'tls-Secr3t-pw' });
  await redis.client.set('settings', JSON.stringify({ automation_enabled: true, poll_interval_seconds: 15 }));
  await redis.client.hset('state', { last_run: '2026-01-14T09:30:00Z' });
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

describe('import from Redis over TLS', () => {
  it('imports from a rediss:// URL with the CA from --redis-ca or import.redis.tls_ca, and refuses an untrusted certificate', async () => {
    assert.match(redis.url, /^rediss:\/\//);
    const db = await target();
    const untrusted = await runCli(['import', '--redis', redis.url, '--url', db.url]);
    assert.equal(untrusted.code, 1, untrusted.stderr);
    assert.match(
      untrusted.stderr,
      /^error: cannot read Redis rediss:\/\/default:\*+@127\.0\.0\.1:\d+: .*certificate/m,
    );
    assert.ok(!untrusted.stderr.includes('tls-Secr3t-pw'));
    assert.equal((await db.query('SELECT count(*)::int AS n FROM json_store'))[0]?.n, 0);

    const r = await runCli([
      'import',
      '--redis',
      redis.url,
      '--redis-ca',
      redis.caFile!,
      '--url',
      db.url,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.proof.match, true);
    assert.equal(doc.written.inserted, 2);
    assert.ok(!r.stdout.includes('tls-Secr3t-pw'));
    const rows = await db.query('SELECT kind, data FROM json_store ORDER BY kind');
    assert.deepEqual(rows, [
      { kind: 'settings', data: { automation_enabled: true, poll_interval_seconds: 15 } },
      { kind: 'state', data: { last_run: '2026-01-14T09:30:00Z' } },
    ]);

    // the CA from pgward.yaml (relative to it); the URL from PGWARD_REDIS_URL
    const dir = makeProject({
      'pgward.yaml': 'import:\n  redis:\n    tls_ca: certs/ca.pem\n',
      'certs/.keep': '',
    });
    copyFileSync(redis.caFile!, join(dir, 'certs', 'ca.pem'));
    const again = await runCli(['import', '--redis', '--url', db.url], {
      cwd: dir,
      env: { PGWARD_REDIS_URL: redis.url },
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 inserted, 0 updated, 2 unchanged/);

    const plain = await runCli([
      'import',
      '--redis',
      redis.url.replace('rediss:', 'redis:'),
      '--redis-ca',
      redis.caFile!,
      '--url',
      db.url,
    ]);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /is for a rediss:\/\/ \(TLS\) URL/);
  });
});
