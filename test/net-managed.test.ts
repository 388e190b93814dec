// A managed database as Render and Neon give it: the user owns the database but is no superuser (no
// pg_read_all_stats, no pg_monitor, no CREATEDB), extensions were created by the platform's superuser and
// some objects belong to other roles. Every command works or says clearly what it lacks.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { tempDir } from './harness/backup.js';
import { TEST_PASSWORD } from './harness/cluster.js';
import { adminQuery, sharedCluster } from './harness/db.js';
import { type CliResult, makeProject, migration, runCli } from './harness/project.js';

const role = `app_${randomBytes(4).toString('hex')}`;
const other = `${role}_other`;
const dbName = `${role}_db`;
const cloneName = `${role}_clone`;
let url: string;
let cloneUrl: string;
let superUrl: string;

before(async () => {
  const c = await sharedCluster();
  superUrl = c.url('postgres');
  await adminQuery(superUrl, `CREATE ROLE ${role} LOGIN PASSWORD '${TEST_PASSWORD}'`);
  await adminQuery(superUrl, `CREATE ROLE ${other} NOLOGIN`);
  await adminQuery(superUrl, `CREATE DATABASE ${dbName} OWNER ${role}`);
  await adminQuery(superUrl, `CREATE DATABASE ${cloneName} OWNER ${role}`);
  // The platform's superuser installed the extensions and owns a table the app may only read.
  await adminQuery(
    c.url(dbName),
    `CREATE EXTENSION pg_trgm; CREATE EXTENSION citext;
     CREATE TABLE platform_meta (k text PRIMARY KEY, v text); INSERT INTO platform_meta VALUES ('region', 'test');
     ALTER TABLE platform_meta OWNER TO ${other}; GRANT SELECT ON platform_meta TO ${role};
     REVOKE pg_read_all_stats FROM ${role}`,
  );
  const u = new URL(c.url(dbName));
  u.username = role;
  url = u.toString();
  u.pathname = `/${cloneName}`;
  cloneUrl = u.toString();
});
after(async () => {
  if (!superUrl) return;
  for (const db of [dbName, cloneName])
    await adminQuery(superUrl, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await adminQuery(superUrl, `DROP ROLE IF EXISTS ${other}`);
  await adminQuery(superUrl, `DROP ROLE IF EXISTS ${role}`);
});

const files = {
  'db/migrations/20240101000000_users.sql': migration(
    "CREATE TABLE users (id bigint PRIMARY KEY, email citext UNIQUE, name text);\nCREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);\nINSERT INTO users SELECT g, g || '@x.example', 'n' || g FROM generate_series(1, 100) g;",
    'DROP TABLE users;',
  ),
};

function noSecret(r: CliResult): void {
  assert.doesNotMatch(r.stdout + r.stderr, /pgw-Secr3t/);
}

describe('a non-superuser database owner', () => {
  it('migrate, status and lint work', async () => {
    const dir = makeProject(files);
    const m = await runCli(['migrate', '--url', url], { cwd: dir });
    assert.equal(m.code, 0, m.stderr);
    const s = await runCli(['status', '--url', url], { cwd: dir });
    assert.equal(s.code, 0, s.stderr);
    const l = await runCli(['lint'], { cwd: dir });
    assert.ok(l.code === 0 || l.code === 5, l.stderr);
    for (const r of [m, s, l]) noSecret(r);
  });

  it('doctor runs every check it can and says which ones it skipped and why', async () => {
    const d = await runCli(['doctor', '--url', url, '--no-backups', '--json']);
    assert.ok(d.code === 0 || d.code === 8, d.stderr);
    const doc = JSON.parse(d.stdout);
    assert.ok(Array.isArray(doc.checks) && doc.checks.length > 0, d.stdout);
    noSecret(d);
  });

  it('backup create and verify: the drill needs a database it may create, and says so; --into one it owns works', async () => {
    const store = tempDir('pgward-managed-bk-');
    try {
      const c = await runCli(['backup', '--storage', store.url, 'create', '--url', url, '--json']);
      assert.equal(c.code, 0, c.stderr);
      const id = JSON.parse(c.stdout).id as string;
      const v = await runCli(['backup', '--storage', store.url, 'verify', id, '--url', url]);
      assert.notEqual(v.code, 0);
      assert.match(v.stdout, /restore drill FAILED/);
      assert.match(
        v.stdout,
        /cannot create a scratch database for the drill: the user has no CREATEDB privilege/,
      );
      const into = await runCli([
        'backup',
        '--storage',
        store.url,
        'verify',
        id,
        '--url',
        url,
        '--into',
        cloneUrl,
        '--json',
      ]);
      assert.equal(into.code, 0, into.stderr + into.stdout);
      for (const r of [c, v, into]) noSecret(r);
    } finally {
      store.cleanup();
      await adminQuery(superUrl, `DROP DATABASE IF EXISTS ${cloneName} WITH (FORCE)`);
      await adminQuery(superUrl, `CREATE DATABASE ${cloneName} OWNER ${role}`);
    }
  });

  it('clone into a database it owns, with extensions and objects owned by other roles', async () => {
    const c = await runCli(['clone', '--from', url, '--to', cloneUrl, '--clean', '--json']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).ok, true);
    noSecret(c);
  });
});
