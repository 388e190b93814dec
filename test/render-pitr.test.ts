// `pgward recover --via render-pitr`: Render's point-in-time recovery (the simulator copies the source into
// a NEW real database on the local cluster) waited for, then validated against the newest drill-proven
// backup taken before the recovery time: growth is reported, missing rows fail (exit 10).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_PASSWORD } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';
import { type RenderSim, type SimPostgres, startRenderSim } from './harness/render-sim.js';

let sim: RenderSim;
let db: TestDatabase;
let pgDb: SimPostgres;
let dir: string;
let backupAt: Date;

before(async () => {
  db = await createTestDatabase();
  await db.query(`
    CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
    INSERT INTO accounts SELECT g, 'u' || g || '@x.example' FROM generate_series(1, 120) g;
    CREATE TABLE events (id bigint, kind text);
    INSERT INTO events SELECT g, 'k' FROM generate_series(1, 30) g;
  `);
  sim = await startRenderSim({ cluster: db.cluster, stepMs: 20 });
  pgDb = sim.addPostgres({ database: db.name, startsAt: new Date(Date.now() - 3600_000) });
  const s = sim.addService();
  dir = makeProject({
    'pgward.yaml': `environments:
  production:
    url: ${db.url}
    deploy:
      provider: render
      render:
        services: [${s.id}]
        postgres: ${pgDb.id}
        api_url: ${sim.url}
backups:
  storage: file://./backups
`,
  });
  backupAt = new Date();
  const b = await pgward(['backup', 'create', '--env', 'production', '--json']);
  assert.equal(b.code, 0, b.stderr);
  const id = JSON.parse(b.stdout).id;
  const v = await pgward(['backup', 'verify', id, '--env', 'production']);
  assert.equal(v.code, 0, v.stderr);
});
after(() => sim.close());

function pgward(args: string[]) {
  return runCli(args, { cwd: dir, env: { RENDER_API_KEY: sim.apiKey, PGWARD_RENDER_POLL_MS: '20' } });
}

const pitr = (at: string, ...more: string[]) =>
  pgward(['recover', '--via', 'render-pitr', '--at', at, '--env', 'production', ...more]);

describe('recover --via render-pitr', () => {
  it('creates a new real database, waits for it, validates it against the proven backup (growth reported)', async () => {
    await db.query(
      "INSERT INTO events SELECT g, 'late' FROM generate_series(31, 45) g; CREATE TABLE later (id int)",
    );
    const before = sim.allPostgres().length;
    const r = await pitr(new Date().toISOString(), '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, true);
    assert.equal(sim.allPostgres().length, before + 1);
    const created = sim.postgres(doc.instance.id);
    assert.equal(created.restoredFrom?.id, pgDb.id);
    assert.equal(doc.instance.status, 'available');
    assert.notEqual(created.database, db.name);
    const rows = await adminQuery(db.cluster.url(created.database), 'SELECT count(*)::int AS n FROM events');
    assert.equal(rows[0]?.n, 45, 'a real database holding the data');
    assert.deepEqual(doc.validation.grown, [{ table: 'public.events', backupRows: 30, recoveredRows: 45 }]);
    assert.deepEqual(doc.validation.newTables, ['public.later']);
    assert.deepEqual(doc.nextSteps, [`pgward switch --env production --to ${doc.instance.id}`]);
    assert.ok(
      !r.stdout.includes(TEST_PASSWORD) && !r.stderr.includes(TEST_PASSWORD),
      'the new URL is redacted',
    );
    assert.ok(!r.stdout.includes(sim.apiKey) && !r.stderr.includes(sim.apiKey));

    const text = await pitr(new Date().toISOString());
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /validated against backup \S+ .*: \d+ tables, none missing or smaller/);
    assert.match(text.stdout, /public\.events: 30 → 45 rows \(written after the backup\)/);
    assert.match(text.stdout, /next: pgward switch --env production --to dpg-/);
  });

  it('fails validation (exit 10) when the recovered instance has fewer rows, and keeps it', async () => {
    await db.query('DELETE FROM accounts WHERE id > 100');
    const before = sim.allPostgres().length;
    const r = await pitr(new Date().toISOString());
    assert.equal(r.code, 10, r.stderr);
    assert.match(
      r.stdout,
      /validation against backup \S+ failed: table public\.accounts: 100 rows recovered, 120 in backup/,
    );
    assert.equal(sim.allPostgres().length, before + 1);
  });

  it('refuses, creating nothing, outside the window, before any proven backup, or when PITR is unavailable', async () => {
    const before = sim.allPostgres().length;
    const early = await pitr(new Date(Date.now() - 2 * 3600_000).toISOString());
    assert.equal(early.code, 2);
    assert.match(early.stderr, /^error: --at \S+ is before the recovery window of dpg-\S+ \(it starts at /m);
    const noBaseline = await pitr(new Date(backupAt.getTime() - 60_000).toISOString());
    assert.equal(noBaseline.code, 1);
    assert.match(
      noBaseline.stderr,
      /^error: no backup of production taken before \S+ has passed a restore drill/m,
    );
    const drill = await pitr(new Date().toISOString(), '--drill');
    assert.equal(drill.code, 2);
    assert.match(drill.stderr, /^error: --drill is for a backup recovery, not --via render-pitr$/m);
    const bad = await pitr('yesterday-ish');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: --at yesterday-ish is not a time\n/);
    pgDb.recoveryStatus = 'NOT_AVAILABLE';
    try {
      const na = await pitr(new Date().toISOString());
      assert.equal(na.code, 1);
      assert.match(
        na.stderr,
        /^error: point-in-time recovery of dpg-\S+ is not available \(NOT_AVAILABLE\)$/m,
      );
    } finally {
      pgDb.recoveryStatus = 'AVAILABLE';
    }
    assert.equal(sim.allPostgres().length, before, 'no instance was created');
  });
});
