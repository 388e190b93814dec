// `pgward recover --via neon --at <time>`: a new Neon branch of production's branch at that time (the
// simulator copies the branch's real database: the state at <time> is the state now, a documented
// simulator limit), validated against the newest drill-proven backup: growth reported, loss exit 10.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_PASSWORD } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { type NeonSim, startNeonSim } from './harness/neon-sim.js';
import { makeProject, runCli } from './harness/project.js';

let sim: NeonSim;
let db: TestDatabase;
let dir: string;
let backupAt: Date;

function pgward(args: string[]) {
  return runCli(args, { cwd: dir, env: { NEON_API_KEY: sim.apiKey, PGWARD_NEON_POLL_MS: '20' } });
}
const viaNeon = (at: string, ...more: string[]) =>
  pgward(['recover', '--via', 'neon', '--at', at, '--env', 'production', ...more]);

before(async () => {
  db = await createTestDatabase();
  await db.query(`
    CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
    INSERT INTO accounts SELECT g, 'u' || g || '@x.example' FROM generate_series(1, 120) g;
    CREATE TABLE events (id bigint, kind text);
    INSERT INTO events SELECT g, 'k' FROM generate_series(1, 30) g;
  `);
  sim = await startNeonSim({ cluster: db.cluster });
  sim.addBranch({ database: db.name, name: 'main' });
  dir = makeProject({
    'pgward.yaml': `environments:
  production:
    url: ${db.url}
    neon:
      project: ${sim.projectId}
      branch: main
      api_url: ${sim.url}
backups:
  storage: file://./backups
`,
  });
  backupAt = new Date();
  const b = await pgward(['backup', 'create', '--env', 'production', '--json']);
  assert.equal(b.code, 0, b.stderr);
  const v = await pgward(['backup', 'verify', JSON.parse(b.stdout).id, '--env', 'production']);
  assert.equal(v.code, 0, v.stderr);
});
after(() => sim.close());

describe('recover --via neon', () => {
  it('branches production at the time, validates it against the proven backup (growth reported), prints the next step', async () => {
    await db.query("INSERT INTO events SELECT g, 'late' FROM generate_series(31, 45) g");
    const at = new Date().toISOString();
    const r = await viaNeon(at, '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, true);
    assert.match(doc.branch.name, /^pgward-recover-/);
    assert.deepEqual(doc.validation.grown, [{ table: 'public.events', backupRows: 30, recoveredRows: 45 }]);
    const create = sim.requests.find((q) => q.method === 'POST' && q.path.endsWith('/branches'));
    const body = create?.body as { branch: { parent_id: string; parent_timestamp: string } };
    assert.equal(body.branch.parent_id, sim.branch('main')?.id);
    assert.equal(body.branch.parent_timestamp, new Date(at).toISOString());
    const b = sim.branch(doc.branch.name);
    assert.ok(b, 'the branch is kept');
    const rows = await adminQuery(db.cluster.url(b.database), 'SELECT count(*)::int AS n FROM events');
    assert.equal(rows[0]?.n, 45);
    assert.ok(!r.stdout.includes(TEST_PASSWORD), 'password redacted in JSON');
    assert.ok(!`${r.stdout}${r.stderr}`.includes(sim.apiKey));
    assert.match(
      doc.nextSteps[0],
      new RegExp(
        `^pgward switch --env production --to "\\$\\(neonctl connection-string ${doc.branch.name} --project-id ${sim.projectId}\\)"$`,
      ),
    );
    const text = await viaNeon(new Date().toISOString());
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /validated against backup \S+ .*: \d+ tables, none missing or smaller/);
    assert.match(text.stdout, /^next: pgward switch --env production --to /m);
    assert.ok(!text.stdout.includes(TEST_PASSWORD));
  });

  it('fails validation (exit 10) when the branch has fewer rows than the backup, and keeps it', async () => {
    await db.query('DELETE FROM accounts WHERE id > 100');
    const before = sim.branches().length;
    const r = await viaNeon(new Date().toISOString());
    assert.equal(r.code, 10, r.stderr);
    assert.match(
      r.stdout,
      /validation against backup \S+ failed: table public\.accounts: 100 rows recovered, 120 in backup/,
    );
    assert.match(r.stdout, /next: inspect Neon branch pgward-recover-\S+ before using it/);
    assert.equal(sim.branches().length, before + 1);
  });

  it('refuses, creating nothing, before any proven backup, in the future, or without --at', async () => {
    const before = sim.branches().length;
    const early = await viaNeon(new Date(backupAt.getTime() - 60_000).toISOString());
    assert.equal(early.code, 1);
    assert.match(
      early.stderr,
      /^error: no backup of production taken before \S+ has passed a restore drill/m,
    );
    const future = await viaNeon(new Date(Date.now() + 3600_000).toISOString());
    assert.equal(future.code, 2);
    assert.match(future.stderr, /is in the future/);
    const noAt = await pgward(['recover', '--via', 'neon', '--env', 'production']);
    assert.equal(noAt.code, 2);
    assert.match(noAt.stderr, /--via neon needs --at <time>/);
    assert.equal(sim.branches().length, before);
  });
});
