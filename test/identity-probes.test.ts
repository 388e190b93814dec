// Every command identifies its database by probing the other configured environments' URLs (no
// spelling of a URL lowers a policy). A pgward.yaml with many environments must not open them all at
// once (a few commands together would exhaust the server's connections), and environments on one
// server are identified with one connection to it.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * `pgward migrate --env app` of a DROP TABLE, where app's database is also `production` (reached through
 * the proxy) among 40 other environments whose URL for database `db` is `url(db, i)`. Production's policy
 * must block it (exit 6), found by a probe, with the table still there.
 */
async function dropBlockedThroughProbe(
  target: TestDatabase,
  proxy: TcpProxy,
  envUrl: (i: number) => string,
): Promise<void> {
  const envs = Array.from({ length: 40 }, (_, i) => `  env${i}:\n    url: ${envUrl(i)}\n`).join('');
  await target.query('CREATE TABLE keep (id int)');
  const dir = makeProject({
    'db/migrations/20250101000000_drop.sql': '-- migrate:up\nDROP TABLE keep;\n',
    'pgward.yaml': `environments:\n  app:\n    url: ${target.url}\n${envs}  production:\n    url: ${proxy.url(target.name)}\n`,
  });
  dirs.push(dir);
  const r = await runCli(['migrate', '--env', 'app'], { cwd: dir });
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, /production's database \(matched by a probe of its configured URL/);
  assert.equal((await target.query("SELECT 1 FROM pg_tables WHERE tablename = 'keep'")).length, 1);
}

describe('identity probes', () => {
  it('invariant: a command probes at most 8 environments at once, and still finds the one that is the same database', async () => {
    const target = await createTestDatabase();
    const others = await Promise.all(Array.from({ length: 3 }, () => createTestDatabase()));
    // a 40 ms round trip: each probe takes long enough for probes to overlap
    const proxy = await startTcpProxy(target.cluster.port, '127.0.0.1', { delayMs: 20 });
    try {
      // 40 distinct URLs (probed one by one): 39 on other databases, one more name for the target's
      await dropBlockedThroughProbe(target, proxy, (i) => {
        const db = i === 39 ? target.name : others[i % others.length]!.name;
        return `${proxy.url(db)}?application_name=env${i}`;
      });
      assert.ok(proxy.peak() <= 8, `at most 8 probes at once, saw ${proxy.peak()}`);
      assert.ok(proxy.peak() >= 2, `the probes ran concurrently (peak ${proxy.peak()})`);
    } finally {
      await proxy.close();
    }
  });

  it('invariant: environments on one server are identified with one connection, and production among them still blocks', async () => {
    const target = await createTestDatabase();
    const others = await Promise.all(Array.from({ length: 3 }, () => createTestDatabase()));
    const proxy = await startTcpProxy(target.cluster.port);
    try {
      // URLs that differ only in the database name (one a database that does not exist)
      await dropBlockedThroughProbe(target, proxy, (i) =>
        proxy.url(i === 39 ? 'no_such_database' : others[i % others.length]!.name),
      );
      assert.equal(proxy.accepted(), 1, 'one probe connection for the 41 environments of that server');
    } finally {
      await proxy.close();
    }
  });
});
