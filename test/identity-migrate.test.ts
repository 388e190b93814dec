// Identity, not spelling: migrate's gate, policy and backup catalog follow the database actually
// reached. Every spelling of production's URL is production.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';
import { spellings } from './harness/spellings.js';

const CONFIG = `backups:
  storage: file://./backups
environments:
  production:
    url: \${PROD_URL}
  staging:
    url: \${STAGING_URL}
`;

async function production(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await db.query('CREATE TABLE keep (id int PRIMARY KEY); INSERT INTO keep VALUES (1), (2), (3)');
  return db;
}

/** Another login role that reaches the same database (member of the test superuser's role). */
async function otherRole(db: TestDatabase): Promise<{ user: string; password: string }> {
  const user = `alt_${randomBytes(4).toString('hex')}`;
  const password = `alt-${randomBytes(6).toString('hex')}`;
  await adminQuery(db.cluster.url('postgres'), `CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
  await adminQuery(db.cluster.url('postgres'), `GRANT pgward_test TO ${user}`);
  return { user, password };
}

function dropProject(): string {
  return makeProject({
    'pgward.yaml': CONFIG,
    'db/migrations/1_drop_keep.sql': migration('DROP TABLE keep;'),
  });
}

async function keepRows(db: TestDatabase): Promise<number> {
  const [r] = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM keep');
  return Number(r!.n);
}

test("invariant: no spelling of production's URL lowers its policy (DROP TABLE is blocked, exit 6, nothing changed)", async () => {
  const prod = await production();
  const staging = await createTestDatabase();
  const dir = dropProject();
  const env = { PROD_URL: prod.url, STAGING_URL: staging.url };
  const cases: { name: string; args: string[]; env: Record<string, string> }[] = [];
  for (const s of spellings(prod, await otherRole(prod))) {
    cases.push({ name: `--url ${s.name}`, args: ['--url', s.url], env });
  }
  const alias = `postgresql://pgward_test:x@${hostname()}:${prod.cluster.port}/${prod.name}`.replace(
    ':x@',
    `:${encodeURIComponent('pgw-Secr3t-9d41')}@`,
  );
  cases.push({ name: 'DATABASE_URL', args: [], env: { ...env, DATABASE_URL: alias } });
  cases.push({
    name: 'PGWARD_ENV=staging whose URL is an alias of production',
    args: [],
    env: { ...env, STAGING_URL: alias, PGWARD_ENV: 'staging' },
  });
  cases.push({
    name: '--env staging --url <production alias>',
    args: ['--env', 'staging', '--url', alias],
    env,
  });
  for (const c of cases) {
    const r = await runCli(['migrate', ...c.args], { cwd: dir, env: c.env });
    assert.equal(r.code, 6, `${c.name}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /blocked by the production policy of production's database \(matched by .*database oid \d+\)/,
      c.name,
    );
    assert.equal(await keepRows(prod), 3, `${c.name}: production unchanged`);
  }
  const applied = await prod.query("SELECT 1 FROM pgward.migrations WHERE version = '1'");
  assert.equal(applied.length, 0);
});

test('invariant: a migration approved on production reached by another spelling is backed up into production’s catalog first', async () => {
  const prod = await production();
  const staging = await createTestDatabase();
  const dir = dropProject();
  const env = { PROD_URL: prod.url, STAGING_URL: staging.url };
  const [byName] = spellings(prod).filter((s) => s.name.startsWith("the machine's host name"));
  const r = await runCli(['migrate', '--url', byName!.url, '--approve', '1', '--json'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.env, 'production');
  assert.ok(doc.backupId, 'a pre-migrate backup was taken');
  assert.deepEqual(
    doc.identity.matches.map((m: { env: string; by: string[] }) => [m.env, m.by]),
    [['production', ['probe']]],
  );
  const list = await runCli(['backup', 'list', '--env', 'production', '--json'], { cwd: dir, env });
  const backups = JSON.parse(list.stdout).backups;
  assert.equal(backups.length, 1);
  assert.equal(backups[0].id, doc.backupId);
  assert.equal(backups[0].env, 'production');
  assert.equal(backups[0].reason, 'pre-migrate');
  assert.ok(
    backups[0].tables.some((t: { name: string; rows: number }) => t.name === 'keep' && t.rows === 3),
    'the backup holds the table before it was dropped',
  );
});

test('invariant: a stamped database is production even when the config cannot reach it by its own URL', async () => {
  const prod = await production();
  const dir = dropProject();
  // A real (non-dry) run through the named environment stamps the database.
  const first = await runCli(['migrate', '--env', 'production'], {
    cwd: dir,
    env: { PROD_URL: prod.url, STAGING_URL: prod.cluster.url('postgres') },
  });
  assert.equal(first.code, 6, first.stderr);
  const stamps = await prod.query('SELECT environment, protected FROM pgward.identity');
  assert.deepEqual(stamps, [{ environment: 'production', protected: true }]);
  // Now production's URL is unset or points nowhere: the stamp alone still identifies it.
  for (const prodUrl of [undefined, 'postgresql://nobody:unreachable-Pw-77@127.0.0.1:1/gone']) {
    const [alias] = spellings(prod);
    const env: Record<string, string> = { STAGING_URL: prod.cluster.url('postgres') };
    if (prodUrl) env.PROD_URL = prodUrl;
    const r = await runCli(['migrate', '--url', alias!.url, '--json'], { cwd: dir, env });
    assert.equal(r.code, 6, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.env, 'production');
    assert.deepEqual(doc.identity.matches[0].by, ['stamp']);
    if (prodUrl) {
      assert.equal(doc.identity.unverified[0].env, 'production', 'reported as not comparable');
      assert.ok(!`${r.stdout}${r.stderr}`.includes('unreachable-Pw-77'), 'no password in the report');
    }
    assert.equal(await keepRows(prod), 3);
  }
  // With no pgward.yaml at all, DATABASE_URL alone: still blocked by the stamp.
  const bare = makeProject({ 'db/migrations/1_drop_keep.sql': migration('DROP TABLE keep;') });
  const r = await runCli(['migrate'], { cwd: bare, env: { DATABASE_URL: prod.url } });
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, /production/);
  assert.equal(await keepRows(prod), 3);
});

test('invariant: a copy of a stamped database is not the environment (TEMPLATE copy, dump and restore)', async () => {
  const prod = await production();
  const dir = dropProject();
  const env = { PROD_URL: prod.url, STAGING_URL: prod.cluster.url('postgres') };
  const first = await runCli(['backup', 'create', '--env', 'production'], { cwd: dir, env });
  assert.equal(first.code, 0, first.stderr);
  assert.equal((await prod.query('SELECT environment FROM pgward.identity')).length, 1, 'stamped');
  const templateCopy = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(prod.cluster.url('postgres'), `CREATE DATABASE ${templateCopy} TEMPLATE ${prod.name}`);
  const restoredCopy = `t_${randomBytes(6).toString('hex')}`;
  const restored = await runCli(
    ['backup', 'restore', 'latest', '--to', prod.cluster.url('postgres'), '--create', restoredCopy],
    { cwd: dir, env },
  );
  assert.equal(restored.code, 0, restored.stderr);
  // Production's URL is unreachable here: only a stamp could make a copy look like production.
  const bare = makeProject({
    'pgward.yaml': 'environments:\n  production:\n    url: ${PROD_URL}\n',
    'db/migrations/1_add.sql': migration('CREATE TABLE added (id int);'),
  });
  for (const copy of [templateCopy, restoredCopy]) {
    const copyUrl = prod.cluster.url(copy);
    const carried = await adminQuery(copyUrl, 'SELECT environment FROM pgward.identity');
    assert.equal(carried.length, 1, 'the copy carries the stamp table');
    const r = await runCli(['migrate', '--url', copyUrl, '--json'], {
      cwd: bare,
      env: { PROD_URL: 'postgresql://nobody:x@127.0.0.1:1/none' },
    });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.identity.matches, [], 'the copy matched no environment');
    assert.equal(doc.env, undefined);
    assert.equal(doc.backupId, undefined, 'no production pre-migrate backup of a copy');
  }
  assert.deepEqual(
    await prod.query("SELECT to_regclass('added') AS t"),
    [{ t: null }],
    'production untouched',
  );
});

test('invariant: read-only commands, dry runs and refusals never stamp or create anything', async () => {
  const prod = await production();
  const staging = await createTestDatabase();
  await staging.query('CREATE TABLE keep (id int PRIMARY KEY)');
  const dir = dropProject();
  const env = { PROD_URL: prod.url, STAGING_URL: staging.url };
  const [alias] = spellings(prod);
  const runs = [
    ['migrate', '--env', 'production', '--dry-run'],
    ['migrate', '--url', alias!.url, '--dry-run'],
    ['status', '--env', 'production'],
    ['status', '--url', alias!.url],
    ['clone', '--from', 'staging', '--to', alias!.url, '--clean'],
    ['clone', '--from', 'staging', '--to', 'production', '--clean'],
  ];
  for (const args of runs) {
    const r = await runCli(args, { cwd: dir, env });
    assert.ok(r.code !== null && r.code !== 1, `${args.join(' ')}: ${r.stderr}`);
    assert.deepEqual(
      await prod.query("SELECT to_regnamespace('pgward') AS s"),
      [{ s: null }],
      `${args.join(' ')} created nothing in production`,
    );
  }
  assert.equal(await keepRows(prod), 3);
});

test('invariant: rollback and backup create reach production as production by any spelling', async () => {
  const prod = await production();
  const staging = await createTestDatabase();
  const dir = makeProject({
    'pgward.yaml': CONFIG,
    'db/migrations/1_add.sql': migration('CREATE TABLE added (id int);', 'DROP TABLE added;'),
  });
  const env = { PROD_URL: prod.url, STAGING_URL: staging.url };
  const applied = await runCli(['migrate', '--env', 'production'], { cwd: dir, env });
  assert.equal(applied.code, 0, applied.stderr);
  for (const s of spellings(prod).slice(0, 4)) {
    // production's gate blocks the destructive down section whatever the spelling (exit 6, ok:false)
    const rb = await runCli(['rollback', '--url', s.url, '--dry-run', '--json'], { cwd: dir, env });
    assert.equal(rb.code, 6, `${s.name}: ${rb.stderr}`);
    const doc = JSON.parse(rb.stdout);
    assert.equal(doc.ok, false, `rollback ${s.name}`);
    assert.equal(doc.env, 'production', `rollback ${s.name}`);
    assert.equal(doc.blocked[0].version, '1', `rollback ${s.name}`);
  }
  assert.deepEqual(
    await prod.query("SELECT to_regclass('added') IS NOT NULL AS kept"),
    [{ kept: true }],
    'nothing rolled back',
  );
  const [alias] = spellings(prod);
  const made = await runCli(['backup', 'create', '--url', alias!.url, '--json'], { cwd: dir, env });
  assert.equal(made.code, 0, made.stderr);
  assert.equal(JSON.parse(made.stdout).env, 'production', 'catalogued as production');
});
