// Identity, not spelling: clone, restore, drill and recover decide whether their target is an
// environment's database from the database itself. Production reached by any spelling is refused and
// left unchanged; staging reached by any spelling gets staging's masking rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBackup, openStorage, verifyBackup } from '../src/backup/index.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';
import { spellings } from './harness/spellings.js';

const CONFIG = `backups:
  storage: file://./backups
environments:
  production:
    url: \${PROD_URL}
  staging:
    url: \${STAGING_URL}
masking:
  salt: pepper
  rules:
    - to: staging
      columns:
        public.users.email: fake_email
`;

interface Setup {
  prod: TestDatabase;
  staging: TestDatabase;
  dir: string;
  env: Record<string, string>;
}

async function setup(): Promise<Setup> {
  const [prod, staging] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await prod.query(`CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
    INSERT INTO users SELECT g, 'person' || g || '@real.example' FROM generate_series(1, 50) g`);
  return {
    prod,
    staging,
    dir: makeProject({ 'pgward.yaml': CONFIG }),
    env: { PROD_URL: prod.url, STAGING_URL: staging.url },
  };
}

async function fingerprint(db: TestDatabase): Promise<string> {
  const [r] = await db.query<{ n: string; h: string }>(
    "SELECT count(*)::text AS n, md5(string_agg(id || ':' || email, ',' ORDER BY id)) AS h FROM users",
  );
  return `${r!.n}/${r!.h}`;
}

test("invariant: clone into production's database is refused whatever the spelling, and production is unchanged", async () => {
  const { prod, staging, dir, env } = await setup();
  await staging.query('CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL)');
  const before = await fingerprint(prod);
  for (const s of spellings(prod)) {
    const r = await runCli(['clone', '--from', 'staging', '--to', s.url, '--clean'], { cwd: dir, env });
    assert.equal(r.code, 6, `${s.name}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /refusing to clone into protected environment production's database \(matched by .*database oid \d+\)/,
      s.name,
    );
    assert.ok(!r.stderr.includes('pgw-Secr3t'), 'no password in the refusal');
  }
  assert.equal(await fingerprint(prod), before);
});

test('invariant: --from and --to are the same database when they reach it, however each is spelled', async () => {
  const { staging, dir, env } = await setup();
  await staging.query(
    "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL); INSERT INTO users VALUES (1, 'x')",
  );
  const all = spellings(staging);
  for (let i = 0; i + 1 < all.length; i += 2) {
    // No environment URL is set: only the database's own identity can tell the two URLs apart.
    const r = await runCli(['clone', '--from', all[i]!.url, '--to', all[i + 1]!.url, '--clean'], {
      cwd: dir,
      env: {},
    });
    assert.equal(r.code, 2, `${all[i]!.name} / ${all[i + 1]!.name}: ${r.stderr}`);
    assert.match(r.stderr, /--from and --to are the same database/);
  }
  const same = await runCli(['clone', '--from', 'staging', '--to', all[0]!.url, '--clean'], {
    cwd: dir,
    env,
  });
  assert.equal(same.code, 2, same.stderr);
  const [n] = await staging.query<{ n: string }>('SELECT count(*)::text AS n FROM users');
  assert.equal(n!.n, '1', 'nothing was wiped');
});

test('invariant: masking rules for staging apply when staging is given by another spelling', async () => {
  const { staging, dir, env } = await setup();
  const chosen = spellings(staging).filter((s) => /localhost|host name|::1|percent/.test(s.name));
  assert.equal(chosen.length, 4);
  for (const s of chosen) {
    const r = await runCli(['clone', '--from', 'production', '--to', s.url, '--clean', '--json'], {
      cwd: dir,
      env,
    });
    assert.equal(r.code, 0, `${s.name}: ${r.stderr}`);
    const leaked = await staging.query("SELECT 1 FROM users WHERE email LIKE '%real.example'");
    assert.equal(leaked.length, 0, `${s.name}: no real e-mail reached staging`);
    const [n] = await staging.query<{ n: string }>('SELECT count(*)::text AS n FROM users');
    assert.equal(n!.n, '50');
  }
});

test("invariant: backup restore over production's database is refused whatever the spelling, and production is unchanged", async () => {
  const { prod, dir, env } = await setup();
  const made = await runCli(['backup', 'create', '--env', 'production'], { cwd: dir, env });
  assert.equal(made.code, 0, made.stderr);
  // Production moves on after the backup: a restore over it would lose this row.
  await prod.query("INSERT INTO users VALUES (51, 'late@real.example')");
  const before = await fingerprint(prod);
  for (const s of spellings(prod)) {
    for (const extra of [[], ['--overwrite-protected', 'staging']]) {
      const r = await runCli(
        ['backup', 'restore', 'latest', '--env', 'production', '--to', s.url, '--clean', ...extra],
        { cwd: dir, env },
      );
      assert.equal(r.code, 6, `${s.name} ${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /refusing to restore over protected environment production's database/);
    }
  }
  // Spelled by a URL, not even named in the config: the stamp written by `backup create` is enough.
  const noConfig = makeProject({ 'pgward.yaml': `backups:\n  storage: file://${dir}/backups\n` });
  const [alias] = spellings(prod);
  const bare = await runCli(['backup', 'restore', 'latest', '--to', alias!.url, '--clean'], {
    cwd: noConfig,
    env: {},
  });
  assert.equal(bare.code, 6, bare.stderr);
  assert.match(bare.stderr, /matched by pgward.identity stamp/);
  assert.equal(await fingerprint(prod), before);
});

test("invariant: a restore drill (--into) never goes into an environment's database, whatever the spelling", async () => {
  const { prod, staging, dir, env } = await setup();
  const made = await runCli(['backup', 'create', '--env', 'production', '--json'], { cwd: dir, env });
  assert.equal(made.code, 0, made.stderr);
  // staging is empty, so only its identity can stop the drill from restoring production's rows into it.
  for (const s of [...spellings(staging).slice(0, 3), ...spellings(prod).slice(0, 2)]) {
    const r = await runCli(['backup', 'verify', 'latest', '--into', s.url], { cwd: dir, env });
    assert.equal(r.code, 6, `${s.name}: ${r.stderr}`);
    assert.match(r.stderr, /refusing to restore a drill into (staging|production)'s database/);
  }
  assert.deepEqual(
    await staging.query("SELECT to_regclass('users') AS t"),
    [{ t: null }],
    'staging untouched',
  );
});

test("invariant: recover by another spelling of production's URL recovers production's backup, never another environment's", async () => {
  const { prod, staging, dir, env } = await setup();
  await staging.query(`CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
    INSERT INTO users VALUES (1, 'masked@staging.example')`);
  const storage = await openStorage('file://./backups', { baseDir: dir, s3: {} });
  const prodBackup = await createBackup({ url: prod.url, env: 'production', storage, reason: 'manual' });
  assert.equal((await verifyBackup({ storage, ref: prodBackup.id, serverUrl: prod.url })).ok, true);
  // A newer drilled backup of another environment: the newest drilled overall, but not production's.
  const other = await createBackup({ url: staging.url, env: 'staging', storage, reason: 'manual' });
  assert.equal((await verifyBackup({ storage, ref: other.id, serverUrl: staging.url })).ok, true);
  for (const s of spellings(prod).slice(0, 3)) {
    const r = await runCli(['recover', '--url', s.url, '--drill', '--json'], { cwd: dir, env });
    assert.equal(r.code, 0, `${s.name}: ${r.stderr}`);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.backup.id, prodBackup.id, s.name);
    assert.equal(doc.backup.env, 'production');
  }
});
