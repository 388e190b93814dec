// pgward clone between two separate throwaway clusters: identical schema and data, masking inside the
// copy, refusals, validation catching a difference.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fillRich, schemaDump, tableHashes } from './clone/fixtures.js';
import { type Cluster, startCluster } from './harness/cluster.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';

let source: Cluster;
let target: Cluster;
let src: TestDatabase;

before(async () => {
  [source, target] = await Promise.all([startCluster(), startCluster()]);
  src = await createTestDatabase(source);
  await fillRich(src);
});
after(() => {
  source?.stop();
  target?.stop();
});

function project(targetUrl: string, extra = ''): string {
  // masking rules follow the target environment's name: both copies below are "staging"
  return makeProject({
    'pgward.yaml': `environments:
  production:
    url: ${src.url}
  staging:
    url: ${targetUrl}
${extra}`,
  });
}

describe('clone', () => {
  it('copies schema and data exactly: pg_dump --schema-only and per-table hashes are identical', async () => {
    const dst = await createTestDatabase(target);
    const r = await runCli([
      'clone',
      '--from',
      src.url,
      '--to',
      dst.url,
      '--jobs',
      '3',
      '--verify',
      'hash',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, true);
    assert.ok(doc.indexes >= 4, 'indexes and constraints built by pgward in parallel');
    assert.ok(doc.checks.every((c: { sourceHash?: string }) => c.sourceHash !== undefined));
    assert.equal(schemaDump(target, dst.name), schemaDump(source, src.name));
    assert.deepEqual(await tableHashes(dst), await tableHashes(src));
    // sequences continue where the source was, the matview is populated, the trigger is live
    const [seq] = await dst.query<{ v: string }>("SELECT nextval('app.ticket_seq')::text AS v");
    assert.equal(seq!.v, '5001');
    const [mv] = await dst.query<{ n: string }>('SELECT sum(n)::text AS n FROM app.mood_counts');
    assert.equal(mv!.n, '300');
    await dst.query("INSERT INTO app.users (email) VALUES ('new@x.example')");
    const [audit] = await dst.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM app.audit WHERE what LIKE 'user %'",
    );
    assert.equal(Number(audit!.n), 301);
    assert.ok(!r.stdout.includes('pgw-Secr3t'), 'password never printed');
    assert.ok(!r.stderr.includes('pgw-Secr3t'));
  });

  it('masks inside the copy: no original e-mail on the target, joins still match, unique stays unique', async () => {
    const dst = await createTestDatabase(target);
    const dir = project(
      dst.url,
      `masking:
  salt: s3cret
  rules:
    - to: staging
      columns:
        app.users.email: fake_email
        app.orders.email: fake_email
        app.users.name: fake_name
        app.users.bio: null
        app.orders.note: "fixed:redacted"
        app.users.profile: "sql: jsonb_build_object('n', (profile->>'n')::int)"
`,
    );
    const r = await runCli(['clone', '--from', 'production', '--to', 'staging', '--verify', 'hash'], {
      cwd: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    const leaked = await dst.query(
      "SELECT 1 FROM app.users WHERE email LIKE '%corp.example' OR name LIKE 'Person %'",
    );
    assert.equal(leaked.length, 0);
    const leakedOrders = await dst.query(
      "SELECT 1 FROM app.orders WHERE email LIKE '%corp.example' OR note <> 'redacted'",
    );
    assert.equal(leakedOrders.length, 0);
    const [j] = await dst.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM app.orders o JOIN app.users u ON u.id = o.user_id AND u.email = o.email',
    );
    assert.equal(j!.n, '900', 'masked e-mails still join');
    const [u] = await dst.query<{ d: string; n: string }>(
      'SELECT count(DISTINCT email)::text AS d, count(*)::text AS n FROM app.users',
    );
    assert.equal(u!.d, u!.n);
    const [bio] = await dst.query<{ n: string }>('SELECT count(bio)::text AS n FROM app.users');
    assert.equal(bio!.n, '0');
    // deterministic: the same rules give the same values on a second copy
    const again = await createTestDatabase(target);
    const dir2 = project(
      again.url,
      readFileSync(join(dir, 'pgward.yaml'), 'utf8').split('\n').slice(5).join('\n'),
    );
    const r2 = await runCli(['clone', '--from', 'production', '--to', 'staging'], { cwd: dir2 });
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(
      await again.query('SELECT id, email, name FROM app.users ORDER BY id'),
      await dst.query('SELECT id, email, name FROM app.users ORDER BY id'),
    );
    // unmasked columns are identical to the source
    const masked = { users: ['email', 'name', 'bio', 'profile', 'name_len'], orders: ['email', 'note'] };
    const a = await tableHashes(src, masked);
    const b = await tableHashes(dst, masked);
    assert.deepEqual(b, a);
  });

  it('refuses a protected target, a non-empty target without --clean, and the source as target', async () => {
    const dst = await createTestDatabase(target);
    const dir = makeProject({
      'pgward.yaml': `environments:\n  production:\n    url: ${dst.url}\n  dev:\n    url: ${src.url}\n`,
    });
    const prot = await runCli(['clone', '--from', 'dev', '--to', 'production'], { cwd: dir });
    assert.equal(prot.code, 6);
    assert.match(prot.stderr, /refusing to clone into protected environment production/);
    const asUrl = await runCli(['clone', '--from', 'dev', '--to', dst.url], { cwd: dir });
    assert.equal(asUrl.code, 6, 'a URL naming a protected environment is still protected');
    const same = await runCli([
      'clone',
      '--from',
      src.url,
      '--to',
      src.url.replace('127.0.0.1', 'localhost'),
    ]);
    assert.equal(same.code, 2);
    assert.match(same.stderr, /same database/);

    const other = await createTestDatabase(target);
    await other.query('CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (1)');
    const busy = await runCli(['clone', '--from', src.url, '--to', other.url]);
    assert.equal(busy.code, 6);
    assert.match(busy.stderr, /not empty: nothing was changed/);
    assert.equal((await other.query('SELECT * FROM keep_me')).length, 1);
    const clean = await runCli([
      'clone',
      '--from',
      src.url,
      '--to',
      other.url,
      '--clean',
      '--exclude-table',
      'app.events*',
      '--exclude-table-data',
      'app.orders',
    ]);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal((await other.query("SELECT to_regclass('public.keep_me') AS t"))[0]!.t, null);
    assert.equal(
      (await other.query("SELECT to_regclass('app.events_2024') AS t"))[0]!.t,
      null,
      '--exclude-table',
    );
    assert.equal(
      (await other.query("SELECT to_regclass('app.events') AS t"))[0]!.t,
      null,
      'the partitioned root goes with its partitions',
    );
    assert.equal(
      (await other.query('SELECT count(*)::int AS n FROM app.orders'))[0]!.n,
      0,
      '--exclude-table-data',
    );
    assert.equal((await other.query('SELECT count(*)::int AS n FROM app.users'))[0]!.n, 300);
  });

  it('validation lists a difference introduced on purpose (exit 10)', async () => {
    const dst = await createTestDatabase(target);
    const r = await runCli([
      'clone',
      '--from',
      src.url,
      '--to',
      dst.url,
      '--exclude-table-data',
      'app.audit',
      '--schema-only',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (await dst.query('SELECT count(*)::int AS n FROM app.users'))[0]!.n,
      0,
      '--schema-only copies no rows',
    );
    const full = await createTestDatabase(target);
    assert.equal((await runCli(['clone', '--from', src.url, '--to', full.url])).code, 0);
    const ok = await runCli([
      'clone',
      '--from',
      src.url,
      '--to',
      full.url,
      '--compare-only',
      '--verify',
      'hash',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    await full.query("UPDATE app.orders SET note = 'tampered' WHERE id = 7");
    await full.query('DELETE FROM app.events_2025 WHERE id IN (SELECT id FROM app.events_2025 LIMIT 1)');
    const bad = await runCli([
      'clone',
      '--from',
      src.url,
      '--to',
      full.url,
      '--compare-only',
      '--verify',
      'hash',
    ]);
    assert.equal(bad.code, 10, bad.stderr);
    assert.match(bad.stderr, /validation failed: 2 tables differ/);
    assert.match(bad.stderr, /app\.orders: same row count \(900\), different content/);
    assert.match(bad.stderr, /app\.events_2025: \d+ rows on the source, \d+ on the target/);
  });

  it('a failing copy leaves the target empty, not half-filled', async () => {
    const dst = await createTestDatabase(target);
    const r = await runCli([
      'clone',
      '--from',
      src.url,
      '--to',
      dst.url,
      '--mask',
      'app.orders.total=sql:1/0',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /clone failed: division by zero/);
    assert.match(r.stderr, /emptied again/);
    assert.equal(
      (
        await dst.query(
          "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app'",
        )
      )[0]!.n,
      0,
    );
    const typo = await runCli([
      'clone',
      '--from',
      src.url,
      '--to',
      dst.url,
      '--mask',
      'app.users.emial=hash',
    ]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /has no column emial/);
  });
});
