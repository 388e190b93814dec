// Identity, not spelling, for rehearse: the rehearsal server is never the environment's own (by system
// identifier, whatever the URL), the throwaway copy never writes into the environment's backup catalog,
// and the copy never identifies as the environment.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Cluster, startCluster } from './harness/cluster.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';
import { spellings } from './harness/spellings.js';

let rehearsalCluster: Cluster;
let prod: TestDatabase;
let dir: string;
const env = () => ({ PROD_URL: prod.url, STAGING_URL: rehearsalCluster.url('postgres') });

before(async () => {
  rehearsalCluster = await startCluster();
  prod = await createTestDatabase();
  await prod.query(`CREATE TABLE accounts (id int PRIMARY KEY, email text);
    INSERT INTO accounts SELECT g, 'a' || g || '@real.example' FROM generate_series(1, 500) g`);
  dir = makeProject({
    'pgward.yaml': `backups:
  storage: file://./backups
environments:
  production:
    url: \${PROD_URL}
rehearsal:
  server: ${rehearsalCluster.url('postgres')}
masking:
  rules:
    - to: rehearsal
      from: production
      columns:
        public.accounts.email: fake_email
`,
    'db/migrations/1_add.sql': migration('ALTER TABLE accounts ADD COLUMN note text;'),
  });
  // A real backup of production, taken through its name: it also stamps production's database.
  const made = await runCli(['backup', 'create', '--env', 'production'], { cwd: dir, env: env() });
  assert.equal(made.code, 0, made.stderr);
});
after(() => rehearsalCluster?.stop());

async function catalog(): Promise<string[]> {
  const r = await runCli(['backup', 'list', '--all', '--json'], { cwd: dir, env: env() });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).backups.map((b: { id: string; env: string }) => `${b.id} ${b.env}`);
}

test("invariant: rehearse never writes into the environment's backup catalog and never identifies its copy as the environment", async () => {
  const before = await catalog();
  assert.equal(before.length, 1);
  const [alias] = spellings(prod);
  for (const args of [
    ['--env', 'production'],
    ['--url', alias!.url],
  ]) {
    const r = await runCli(['rehearse', ...args, '--keep', '--json'], { cwd: dir, env: env() });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.env, 'production', 'the rehearsal knows which environment it copies');
    assert.deepEqual(await catalog(), before, `${args.join(' ')}: the catalog is unchanged`);
    // The kept copy carries production's stamp table, yet is not production.
    const copyUrl = rehearsalCluster.url(doc.copy.database);
    const again = await runCli(['migrate', '--url', copyUrl, '--dry-run', '--json'], {
      cwd: dir,
      env: env(),
    });
    const plan = JSON.parse(again.stdout);
    assert.deepEqual(plan.identity.matches, [], 'the copy matched no environment');
    // Production's masking rule (from: production) applied even when production was spelled as a URL.
    const { adminQuery } = await import('./harness/db.js');
    const leaked = await adminQuery(copyUrl, "SELECT 1 FROM accounts WHERE email LIKE '%real.example'");
    assert.equal(leaked.length, 0, `${args.join(' ')}: masked copy`);
    await adminQuery(rehearsalCluster.url('postgres'), `DROP DATABASE "${doc.copy.database}"`);
  }
  assert.deepEqual(await prod.query("SELECT to_regclass('accounts') IS NOT NULL AS t"), [{ t: true }]);
  const cols = await prod.query("SELECT 1 FROM information_schema.columns WHERE column_name = 'note'");
  assert.equal(cols.length, 0, 'production itself was not migrated');
});

test("invariant: the rehearsal server is never the environment's own server, however it is spelled", async () => {
  for (const s of spellings(await createTestDatabase())) {
    const r = await runCli(['rehearse', '--env', 'production', '--server', s.url], { cwd: dir, env: env() });
    assert.equal(r.code, 2, `${s.name}: ${r.stderr}`);
    assert.match(r.stderr, /own server/, s.name);
  }
});
