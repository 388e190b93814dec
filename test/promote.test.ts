// pgward promote --check: staging → production only when staging is healthy (doctor, its app's health URL
// on the test app server), applied exactly the migrations production will have after its pending ones
// (pgward's own tracker, real migrate runs), and its latest rehearsal (pgward.rehearsals, written by a real
// `pgward rehearse`) or restore drill (the backup catalog) passed.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AppServer, startAppServer } from './harness/app-server.js';
import { type Cluster, startCluster } from './harness/cluster.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli, writeFile } from './harness/project.js';

let rehearsalCluster: Cluster;
let staging: TestDatabase;
let prod: TestDatabase;
let app: AppServer;
let dir: string;

const M1 = '20240101000000_accounts.sql';
const M2 = '20240201000000_accounts_email.sql';

const cli = (args: string[]) => runCli(args, { cwd: dir });
const check = () => cli(['promote', '--from', 'staging', '--to', 'production', '--check']);

before(async () => {
  [rehearsalCluster, staging, prod] = await Promise.all([
    startCluster(),
    createTestDatabase(),
    createTestDatabase(),
  ]);
  app = await startAppServer();
  dir = makeProject({
    'pgward.yaml': `environments:
  staging:
    url: ${staging.url}
    deploy:
      provider: command
      command:
        deploy: "true"
      verify:
        health_url: ${app.healthUrl}
        checks: 2
        interval: 50ms
        timeout: 500ms
  production:
    url: ${prod.url}
    policy:
      backup_before_migrate: false
    deploy:
      provider: command
      command:
        deploy: "echo $PGWARD_COMMIT > deployed.txt"
  staging_again:
    url: ${staging.url.replace('127.0.0.1', 'localhost')}
backups:
  storage: file://./backups
rehearsal:
  server: ${rehearsalCluster.url('postgres')}
`,
    [`db/migrations/${M1}`]: migration('CREATE TABLE accounts (id bigint PRIMARY KEY, balance int);'),
  });
  for (const env of ['staging', 'production']) {
    const r = await cli(['migrate', '--env', env]);
    assert.equal(r.code, 0, r.stderr);
  }
  // The release: staging has it, production will apply it.
  writeFile(dir, `db/migrations/${M2}`, migration('ALTER TABLE accounts ADD COLUMN email text;'));
  const r = await cli(['migrate', '--env', 'staging']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await app?.close();
  rehearsalCluster?.stop();
});

describe('promote', () => {
  it('refuses until staging has a rehearsal on record, then reports it promotable', async () => {
    const none = await check();
    assert.equal(none.code, 6, none.stderr);
    const doc = await cli(['promote', '--from', 'staging', '--to', 'production', '--check', '--json']);
    assert.equal(doc.code, 6);
    const refused = JSON.parse(doc.stdout);
    assert.equal(refused.ok, false);
    assert.deepEqual(
      refused.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name),
      ['proven'],
    );
    assert.equal(refused.error.exitCode, 6);
    assert.match(none.stderr, /refusing to promote staging to production: 1 reason\(s\)/);
    assert.match(none.stderr, /staging has no rehearsal or restore drill on record/);

    // a rehearsal writes nothing into the environment unless asked to record its verdict
    const plain = await cli(['rehearse', '--env', 'staging']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal((await check()).code, 6, 'not recorded without --record');
    assert.deepEqual(await staging.query("SELECT to_regclass('pgward.rehearsals') AS t"), [{ t: null }]);
    const rehearsed = await cli(['rehearse', '--env', 'staging', '--record']);
    assert.equal(rehearsed.code, 0, rehearsed.stderr);
    const ok = await check();
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ok staging: latest is a rehearsal \(exit 0\) at .*, passed/);
    assert.match(
      ok.stdout,
      /promotable: staging → production; production will apply 20240201000000_accounts_email/,
    );
    const json = JSON.parse(
      (await cli(['promote', '--from', 'staging', '--to', 'production', '--check', '--json'])).stdout,
    );
    assert.equal(json.ok, true);
    assert.deepEqual(
      json.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]),
      [
        ['distinct', true],
        ['healthy', true],
        ['migrations', true],
        ['proven', true],
      ],
    );
  });

  it('invariant: promote refuses when staging applied different migrations than production would', async () => {
    const cases: [string, TestDatabase, string, string, RegExp][] = [
      [
        'staging behind (has not applied the release)',
        staging,
        `DELETE FROM pgward.migrations WHERE version = '20240201000000' RETURNING *`,
        `INSERT INTO pgward.migrations SELECT * FROM jsonb_populate_record(null::pgward.migrations, $1)`,
        /staging has not applied 20240201000000_accounts_email, which production would apply/,
      ],
      [
        'staging applied other contents (checksum)',
        staging,
        `UPDATE pgward.migrations SET checksum = 'x' || checksum WHERE version = '20240201000000' RETURNING *`,
        `UPDATE pgward.migrations SET checksum = substr(checksum, 2) WHERE version = '20240201000000' AND $1::jsonb IS NOT NULL`,
        /staging: 20240201000000_accounts_email is drifted/,
      ],
      [
        'production applied other contents (checksum)',
        prod,
        `UPDATE pgward.migrations SET checksum = 'x' || checksum WHERE version = '20240101000000' RETURNING *`,
        `UPDATE pgward.migrations SET checksum = substr(checksum, 2) WHERE version = '20240101000000' AND $1::jsonb IS NOT NULL`,
        /production: 20240101000000_accounts is drifted/,
      ],
      [
        'staging applied a migration production would not have',
        staging,
        `INSERT INTO pgward.migrations (version, name, checksum, duration_ms, applied_by, pgward_version)
           VALUES ('20240301000000', 'hotfix', 'abc', 1, 'someone', '0') RETURNING *`,
        `DELETE FROM pgward.migrations WHERE version = '20240301000000' AND $1::jsonb IS NOT NULL`,
        /staging applied 20240301000000_hotfix, which production would not have/,
      ],
    ];
    for (const [what, db, change, undo, expected] of cases) {
      const [row] = await db.query(`WITH c AS (${change}) SELECT to_jsonb(c) AS r FROM c`);
      try {
        const r = await check();
        assert.equal(r.code, 6, `${what}: ${r.stderr}`);
        assert.match(r.stderr, expected, what);
        assert.match(r.stderr, /refusing to promote staging to production/);
      } finally {
        await db.query(undo, [row!.r]);
      }
    }
    assert.equal((await check()).code, 0, 'undone: promotable again');
  });

  it('refuses while staging’s app is unhealthy, and when the two environments are one database', async () => {
    app.health = 503;
    try {
      const r = await check();
      assert.equal(r.code, 6);
      assert.match(r.stderr, /staging's app is not healthy: .*healthz HTTP 503/);
    } finally {
      app.health = 200;
    }
    const same = await cli(['promote', '--from', 'staging_again', '--to', 'staging', '--check']);
    assert.equal(same.code, 6);
    assert.match(same.stderr, /staging_again and staging reach one database/);
  });

  it('the newest of rehearsal and restore drill decides: a failed rehearsal refuses until a newer drill passes', async () => {
    const bad = writeFile(dir, 'db/migrations/20240401000000_broken.sql', migration('SELECT 1/0;'));
    const failed = await cli(['rehearse', '--env', 'staging', '--record']);
    assert.equal(failed.code, 1, failed.stderr);
    rmSync(bad);
    const r = await check();
    assert.equal(r.code, 6);
    assert.match(r.stderr, /staging's latest rehearsal \(exit 1\) at .* failed/);

    for (const args of [
      ['backup', 'create', '--env', 'staging'],
      ['backup', 'verify', 'latest', '--env', 'staging'],
    ]) {
      const b = await cli(args);
      assert.equal(b.code, 0, `${args.join(' ')}: ${b.stderr}`);
    }
    const ok = await check();
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /latest is a restore drill of backup \S+ at .*, passed/);
  });

  it("framework projects: the framework's own tracking table is compared (dbmate's schema_migrations)", async () => {
    const [s2, p2] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    const fdir = makeProject({
      'pgward.yaml': `migrations:\n  framework: dbmate\nenvironments:\n  staging:\n    url: ${s2.url}\n  production:\n    url: ${p2.url}\n`,
      'db/migrations/20240101000000_one.sql': migration('CREATE TABLE one (id int);'),
      'db/migrations/20240201000000_two.sql': migration('CREATE TABLE two (id int);'),
    });
    for (const db of [s2, p2])
      await db.query('CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY)');
    await p2.query("INSERT INTO schema_migrations VALUES ('20240101000000')");
    await s2.query("INSERT INTO schema_migrations VALUES ('20240101000000')");
    const run = () =>
      runCli(['promote', '--from', 'staging', '--to', 'production', '--check'], { cwd: fdir });
    const behind = await run();
    assert.equal(behind.code, 6);
    assert.match(behind.stderr, /staging has not applied 20240201000000_two, which production would apply/);
    await s2.query("INSERT INTO schema_migrations VALUES ('20240201000000'), ('20240301000000')");
    const extra = await run();
    assert.equal(extra.code, 6);
    assert.doesNotMatch(extra.stderr, /has not applied/);
    assert.match(extra.stderr, /staging applied 20240301000000, which production would not have/);
    await s2.query("DELETE FROM schema_migrations WHERE version = '20240301000000'");
    const same = await run();
    assert.equal(same.code, 6, 'still no rehearsal or drill on record');
    assert.doesNotMatch(same.stderr, /has not applied|would not have|drifted|is missing/);
    assert.match(same.stderr, /1 reason\(s\)/);
  });

  it('without --check, a promotable staging deploys production through the deploy pipeline', async () => {
    assert.equal((await check()).code, 0, 'staging is promotable before the deploy');
    const r = await cli(['promote', '--from', 'staging', '--to', 'production', '--commit', 'abc123']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'deployed.txt'), 'utf8').trim(), 'abc123');
    const applied = await prod.query(
      "SELECT version FROM pgward.migrations WHERE version = '20240201000000'",
    );
    assert.equal(applied.length, 1, 'production applied the release before its deploy');
    const [journal] = await prod.query<{ status: string }>(
      'SELECT status FROM pgward.deploys ORDER BY started_at DESC LIMIT 1',
    );
    assert.equal(journal?.status, 'succeeded');
  });
});
