// pgward clone between two separate throwaway clusters: identical schema and data, masking inside the
// copy, refusals, validation catching a difference.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fillRich, schemaDump, tableHashes } from './harness/clone-fixtures.js';
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
    // each table is analyzed inside the clone, once its own indexes are built (no table left without stats)
    const unanalyzed = await dst.query<{ t: string }>(
      "SELECT s.relname AS t FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = 'app' AND c.relkind = 'r' AND s.last_analyze IS NULL",
    );
    assert.deepEqual(unanalyzed, []);
  });

  it('binary COPY only where it is exact: built-in types binary, reg* and user types in text, same values', async () => {
    const s = await createTestDatabase(source);
    await s.query(`CREATE TYPE tone AS ENUM ('low', 'high');
      CREATE TABLE plain_types (id bigint PRIMARY KEY, n numeric(12,3), at timestamptz, j jsonb, tags text[],
        r int4range, b bytea);
      CREATE TABLE odd_types (id int PRIMARY KEY, rel regclass, t regtype, tones tone[], x tone);
      INSERT INTO plain_types SELECT g, g / 7.0, '2025-01-01'::timestamptz + g * interval '1 hour',
        jsonb_build_object('g', g), ARRAY['a' || g, NULL], int4range(g, g + 10), decode(md5(g::text), 'hex')
        FROM generate_series(1, 500) g;
      INSERT INTO plain_types VALUES (0, NULL, NULL, NULL, NULL, NULL, NULL);
      -- a table created first on the source has a different oid on the target: text keeps the name
      CREATE TABLE filler (id int);
      INSERT INTO odd_types VALUES (1, 'plain_types', 'tone', ARRAY['low', 'high']::tone[], 'high'),
        (2, 'filler', 'int4', NULL, NULL);`);
    const d = await createTestDatabase(target);
    const r = await runCli([
      'clone',
      '--from',
      s.url,
      '--to',
      d.url,
      '--jobs',
      '2',
      '--verify',
      'hash',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).ok, true);
    const dump = (db: TestDatabase) =>
      db.query<{ v: string }>(
        `SELECT (SELECT string_agg(p::text, ';' ORDER BY id) FROM plain_types p) ||
                (SELECT string_agg(o::text, ';' ORDER BY id) FROM odd_types o) AS v`,
      );
    assert.deepEqual(await dump(d), await dump(s));
  });

  it('splits a large table into page ranges copied at once in one snapshot: every row once, same values, masked too', async () => {
    const s = await createTestDatabase(source);
    await s.query(`CREATE TABLE big (id bigint PRIMARY KEY, email text NOT NULL, body text, at timestamptz);
      INSERT INTO big SELECT g, 'u' || g || '@x.example', repeat(md5(g::text), 1 + g % 5),
        '2025-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 20000) g;
      -- holes in the heap: ranges must neither lose nor repeat rows around them
      DELETE FROM big WHERE id % 7 = 0;
      CREATE TABLE small (id int PRIMARY KEY, v text);
      INSERT INTO small SELECT g, md5(g::text) FROM generate_series(1, 50) g;`);
    const copy = async (extra: string[]) => {
      const d = await createTestDatabase(target);
      const r = await runCli([
        'clone',
        '--from',
        s.url,
        '--to',
        d.url,
        '--jobs',
        '3',
        '--split-tables-larger-than',
        '64kB',
        '--verify',
        'hash',
        '--json',
        ...extra,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.ok, true);
      const big = doc.tables.find((t: { table: string }) => t.table === 'public.big');
      assert.equal(big.parts, 3, 'the big table was copied in three ranges');
      assert.equal(big.rows, 20000 - Math.floor(20000 / 7));
      assert.equal(doc.tables.find((t: { table: string }) => t.table === 'public.small').parts, undefined);
      return d;
    };
    const plain = await copy([]);
    const rows = (db: TestDatabase) =>
      db.query<{ v: string }>("SELECT md5(string_agg(b::text, ';' ORDER BY id)) AS v FROM big b");
    assert.deepEqual(await rows(plain), await rows(s));
    // a masked table is split the same way (a query per range instead of COPY of the table)
    const masked = await copy(['--mask', 'public.big.email=fake_email']);
    const [leak] = await masked.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM big WHERE email LIKE 'u%@x.example'",
    );
    assert.equal(leak!.n, '0');
    const ids = (db: TestDatabase) =>
      db.query<{ v: string }>("SELECT md5(string_agg(id::text, ',' ORDER BY id)) AS v FROM big");
    assert.deepEqual(await ids(masked), await ids(s));
  });

  it('runs the follow-ups a task queues (index builds after a copy) ahead of queued copies; a failure stops the pool', async () => {
    const { TaskPool } = await import('../src/clone/pool.js');
    const log: string[] = [];
    const pool = new TaskPool<string>();
    for (const t of ['a', 'b', 'c']) {
      pool.add(async (w) => {
        await new Promise((r) => setTimeout(r, t === 'a' ? 30 : 5));
        log.push(`copy ${t} on ${w}`);
        pool.add(async () => {
          log.push(`index ${t}`);
        }, true);
      });
    }
    await pool.run(['w1', 'w2']);
    assert.equal(log.length, 6, 'every follow-up ran before the pool ended');
    // b's index build (queued while a was still copying) ran before the queued copy c started
    assert.ok(log.indexOf('index b') < log.indexOf('copy c on w2'), log.join(', '));
    const failing = new TaskPool<number>();
    let ran = 0;
    failing.add(async () => {
      throw new Error('boom');
    });
    for (let i = 0; i < 5; i++)
      failing.add(async () => {
        ran++;
      });
    await assert.rejects(failing.run([1]), /boom/);
    assert.equal(ran, 0, 'no task taken after the failure');
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
