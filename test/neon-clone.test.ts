// pgward clone --from production --to staging --via neon: a new branch of production, masked in place in
// batches, validated against production (no masked column keeps production's value), then staging's
// branch restored from it (its old state preserved); a failed validation leaves staging untouched (exit 10).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { type NeonSim, startNeonSim } from './harness/neon-sim.js';
import { makeProject, runCli } from './harness/project.js';

let sim: NeonSim;
let prod: TestDatabase;
let staging: TestDatabase;

before(async () => {
  prod = await createTestDatabase();
  staging = await createTestDatabase();
  await prod.query(`
    CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE NOT NULL, full_name text, phone text, plan text);
    INSERT INTO users SELECT g, 'person' || g || '@corp.example', 'Real Name ' || g, '+1555' || g, 'pro'
      FROM generate_series(1, 25000) g;
    CREATE TABLE notes (a int, b int, body text, PRIMARY KEY (a, b));
    INSERT INTO notes SELECT g % 7, g, 'secret ' || g FROM generate_series(1, 3000) g;`);
  await staging.query('CREATE TABLE old_staging (x int); INSERT INTO old_staging VALUES (1)');
  sim = await startNeonSim({ cluster: prod.cluster });
  sim.addBranch({ database: prod.name, name: 'main' });
  sim.addBranch({ database: staging.name, name: 'staging' });
});
after(() => sim.close());

function project(rules: string): string {
  const neon = (branch: string) =>
    `    neon:\n      project: ${sim.projectId}\n      branch: ${branch}\n      api_url: ${sim.url}\n`;
  return makeProject({
    'pgward.yaml': `environments:
  production:
    url: ${prod.url}
${neon('main')}  staging:
    url: ${staging.url}
${neon('staging')}masking:
  rules:
    - to: staging
      columns:
${rules}`,
  });
}
const env = { NEON_API_KEY: '', PGWARD_NEON_POLL_MS: '20' };
const run = (dir: string, ...more: string[]) =>
  runCli(['clone', '--from', 'production', '--to', 'staging', '--via', 'neon', ...more], {
    cwd: dir,
    env: { ...env, NEON_API_KEY: sim.apiKey },
  });

describe('clone --via neon', () => {
  it('invariant: clone --via neon never changes the target while a masked column still holds a source value', async () => {
    const dir = project('        public.users.email: fake_email\n        public.users.phone: "sql: phone"\n');
    const r = await run(dir);
    assert.equal(r.code, 10, r.stderr);
    assert.match(
      r.stderr,
      /masking validation failed: unmasked values remain in public\.users\.phone \(25000 rows\); staging was not changed/,
    );
    assert.deepEqual(
      sim
        .branches()
        .map((b) => b.name)
        .sort(),
      ['main', 'staging'],
    );
    const rows = await adminQuery(staging.url, 'SELECT count(*)::int AS n FROM old_staging');
    assert.equal(rows[0]?.n, 1);
  });

  it('SIGINT while masking deletes the work branch and leaves staging unchanged (exit 130)', async () => {
    const dir = project('        public.users.phone: "sql: (SELECT phone FROM pg_sleep(60))"\n');
    const r = await runCli(['clone', '--from', 'production', '--to', 'staging', '--via', 'neon'], {
      cwd: dir,
      env: { ...env, NEON_API_KEY: sim.apiKey },
      onSpawn: (child) => {
        const poll = async () => {
          for (let i = 0; i < 600; i++) {
            const rows = await adminQuery(
              prod.cluster.url('postgres'),
              "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
            );
            if (rows.length) return child.kill('SIGINT');
            await new Promise((res) => setTimeout(res, 50));
          }
        };
        void poll();
      },
    });
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(
      sim.branches().filter((b) => b.name.startsWith('pgward-clone-')),
      [],
      'work branch deleted',
    );
    const st = sim.branch('staging');
    const rows = await adminQuery(
      prod.cluster.url(st?.database ?? ''),
      'SELECT count(*)::int AS n FROM old_staging',
    );
    assert.equal(rows[0]?.n, 1, 'staging unchanged');
  });

  it('staging becomes a masked, validated branch of production; production untouched; the old state preserved', async () => {
    const dir = project(
      '        public.users.email: fake_email\n        public.users.full_name: fake_name\n        public.users.phone: null\n        public.notes.body: hash\n',
    );
    const r = await run(dir, '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(
      doc.masked.map((t: { table: string; rows: number }) => [t.table, t.rows]),
      [
        ['public.users', 25000],
        ['public.notes', 3000],
      ],
    );
    assert.equal(doc.workBranch.deleted, true);
    assert.match(r.stderr, /users: 25000 rows/);
    const st = sim.branch('staging');
    assert.ok(st);
    const url = prod.cluster.url(st.database);
    const leaked = await adminQuery(
      url,
      `SELECT count(*)::int AS n FROM users WHERE email LIKE '%@corp.example' OR full_name LIKE 'Real Name%' OR phone IS NOT NULL`,
    );
    assert.equal(leaked[0]?.n, 0);
    const shapes = await adminQuery(
      url,
      `SELECT count(*)::int AS n FROM users WHERE email ~ '^user_[0-9a-f]{32}@example\\.invalid$'`,
    );
    assert.equal(shapes[0]?.n, 25000);
    const notes = await adminQuery(url, "SELECT count(*)::int AS n FROM notes WHERE body LIKE 'secret%'");
    assert.equal(notes[0]?.n, 0);
    const plan = await adminQuery(url, "SELECT count(*)::int AS n FROM users WHERE plan = 'pro'");
    assert.equal(plan[0]?.n, 25000, 'unmasked columns keep their values');
    const mark = await adminQuery(url, "SELECT to_regclass('pgward_clone.state')::text AS t");
    assert.equal(mark[0]?.t, null, 'recorded as a finished clone');
    const source = await adminQuery(
      prod.url,
      "SELECT count(*)::int AS n FROM users WHERE email LIKE '%@corp.example'",
    );
    assert.equal(source[0]?.n, 25000, 'production untouched');
    const preserved = sim.branch(doc.preservedAs);
    assert.ok(preserved, 'old staging kept');
    const old = await adminQuery(
      prod.cluster.url(preserved.database),
      'SELECT count(*)::int AS n FROM old_staging',
    );
    assert.equal(old[0]?.n, 1);
    const restore = sim.requests.find((q) => q.path.endsWith(`/branches/${st.id}/restore`));
    assert.equal(
      (restore?.body as { source_branch_id?: string } | undefined)?.source_branch_id,
      doc.workBranch.id,
    );
  });

  it('refuses URL ends, COPY-only flags and a protected target before touching Neon', async () => {
    const dir = project('        public.users.email: fake_email\n');
    const before = sim.requests.length;
    const r1 = await run(dir, '--clean');
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /--clean is for a copy by COPY, not --via neon/);
    const r2 = await runCli(['clone', '--from', 'production', '--to', 'production', '--via', 'neon'], {
      cwd: dir,
      env: { ...env, NEON_API_KEY: sim.apiKey },
    });
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /protected environment production/);
    assert.equal(sim.requests.length, before);
  });
});
