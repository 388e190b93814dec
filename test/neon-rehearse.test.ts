// pgward rehearse --via neon: the copy is a branch of production's Neon branch (a real database on the
// test cluster, made by the Neon simulator), migrated and traced like any rehearsal, then deleted — also
// when the run fails, is interrupted (SIGINT, SIGTERM), or is killed (-9: the next run sweeps it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { type NeonSim, startNeonSim } from './harness/neon-sim.js';
import { makeProject, migration, runCli } from './harness/project.js';

let sim: NeonSim;
let prod: TestDatabase;
const base = migration(
  `CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
INSERT INTO accounts SELECT g, 'a' || g || '@x.example' FROM generate_series(1, 2000) g;`,
);

before(async () => {
  prod = await createTestDatabase();
  sim = await startNeonSim({ cluster: prod.cluster, pollsToFinish: 2 });
  sim.addBranch({ database: prod.name, name: 'production' });
});
after(() => sim.close());

function project(files: Record<string, string>): string {
  return makeProject({
    'pgward.yaml': `environments:
  production:
    url: ${prod.url}
    neon:
      project: ${sim.projectId}
      branch: production
      api_url: ${sim.url}
rehearsal:
  max_lock_seconds: 600
`,
    'db/migrations/20240101000000_accounts.sql': base,
    ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v])),
  });
}
const env = () => ({ NEON_API_KEY: sim.apiKey, PGWARD_NEON_POLL_MS: '20' });
const ownBranches = () => sim.branches().filter((b) => b.name.startsWith('pgward-'));

/** Waits until the migration's pg_sleep runs on the branch (the run is mid-migration). */
async function untilSleeping(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const rows = await adminQuery(
      prod.cluster.url('postgres'),
      "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
    );
    if (rows.length) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('the slow migration never started');
}

describe('rehearse --via neon', () => {
  before(async () => {
    const r = await runCli(['migrate', '--env', 'production'], { cwd: project({}), env: env() });
    assert.equal(r.code, 0, r.stderr);
  });

  it('rehearses on a new branch of production and deletes it; production is untouched; the key never shows', async () => {
    const dir = project({
      '20240201000000_col.sql': migration('ALTER TABLE accounts ADD COLUMN note text;'),
    });
    const r = await runCli(['rehearse', '--env', 'production', '--via', 'neon', '--json'], {
      cwd: dir,
      env: env(),
    });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.copy.method, 'neon');
    assert.match(doc.copy.branch.name, /^pgward-rehearse-[0-9a-f]{8}-\d+-[0-9a-f]+$/);
    assert.equal(doc.migrations[0].version, '20240201000000');
    assert.equal(doc.migrations[0].verdict, 'ok');
    const create = sim.requests.find((q) => q.method === 'POST' && q.path.endsWith('/branches'));
    const body = create?.body as { branch: { parent_id: string }; endpoints: { type: string }[] };
    assert.equal(body.branch.parent_id, sim.branch('production')?.id);
    assert.deepEqual(body.endpoints, [{ type: 'read_write' }]);
    assert.deepEqual(ownBranches(), [], 'branch deleted');
    const cols = await prod.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'",
    );
    assert.equal(cols.length, 0, 'production not migrated');
    assert.ok(!`${r.stdout}${r.stderr}`.includes(sim.apiKey));
  });

  it('invariant: a rehearsal branch is deleted even when the run fails or is interrupted', async () => {
    const failing = project({ '20240201000000_bad.sql': migration('ALTER TABLE nope ADD COLUMN x int;') });
    const f = await runCli(['rehearse', '--env', 'production', '--via', 'neon'], {
      cwd: failing,
      env: env(),
    });
    assert.notEqual(f.code, 0);
    assert.deepEqual(ownBranches(), [], 'deleted after a failed migration');

    const slow = project({ '20240201000000_slow.sql': migration('SELECT pg_sleep(60);') });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const r = await runCli(['rehearse', '--env', 'production', '--via', 'neon'], {
        cwd: slow,
        env: env(),
        onSpawn: (child) => {
          untilSleeping().then(() => child.kill(signal));
        },
      });
      assert.equal(r.code, signal === 'SIGINT' ? 130 : 143, `${signal}: ${r.stderr}`);
      assert.match(r.stderr, /Neon branch pgward-rehearse-\S+ was deleted/);
      assert.deepEqual(ownBranches(), [], `deleted after ${signal}`);
    }
  });

  it('a branch left by a run killed with -9 is swept by the next run', async () => {
    const slow = project({ '20240201000000_slow.sql': migration('SELECT pg_sleep(60);') });
    const killed = await runCli(['rehearse', '--env', 'production', '--via', 'neon'], {
      cwd: slow,
      env: env(),
      onSpawn: (child) => {
        untilSleeping().then(() => child.kill('SIGKILL'));
      },
    });
    assert.equal(killed.signal, 'SIGKILL');
    const left = ownBranches();
    assert.equal(left.length, 1, 'the killed run left its branch');
    const ok = project({});
    const r = await runCli(['rehearse', '--env', 'production', '--via', 'neon'], { cwd: ok, env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`deleted Neon branch ${left[0]?.name}`));
    assert.deepEqual(ownBranches(), []);
  });

  it('without a neon: block, --via neon is one line naming the fix', async () => {
    const dir = makeProject({ 'pgward.yaml': `environments:\n  production:\n    url: ${prod.url}\n` });
    const r = await runCli(['rehearse', '--env', 'production', '--via', 'neon'], { cwd: dir, env: env() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has no neon: block/);
  });
});
