// Render Postgres as a backup source: `pgward backup create --from render-export` takes the simulator's
// real export (pg_dump -Fd of a real database, tar.gz) into the catalog with per-table counts read from
// the archive, then `pgward backup verify` proves it with a restore drill like any backup.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPgBinDir, TEST_PASSWORD } from './harness/cluster.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';
import { type RenderSim, type SimPostgres, startRenderSim } from './harness/render-sim.js';

let sim: RenderSim;
let db: TestDatabase;
let pgDb: SimPostgres;
let dir: string;
const work = mkdtempSync(join(tmpdir(), 'pgward-rexp-'));
const outputs: string[] = [];

/** pg_dump/pg_restore wrappers that log their argv, then run the real ones (PGWARD_PG_BIN). */
function recordingBinDir(): { dir: string; argv: () => string } {
  const bin = mkdtempSync(join(work, 'bin-'));
  const log = join(bin, 'argv.log');
  const real = findPgBinDir();
  for (const tool of ['pg_dump', 'pg_restore']) {
    const p = join(bin, tool);
    writeFileSync(p, `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${log}'\nexec '${join(real, tool)}' "$@"\n`);
    chmodSync(p, 0o755);
  }
  return { dir: bin, argv: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') };
}
const bin = recordingBinDir();

before(async () => {
  db = await createTestDatabase();
  await db.query(`
    CREATE TABLE customers (id bigint PRIMARY KEY, name text);
    INSERT INTO customers SELECT g, 'name ' || g FROM generate_series(1, 250) g;
    CREATE TABLE notes (id serial PRIMARY KEY, body text);
    INSERT INTO notes (body) VALUES (E'two\\nlines'), (E'tab\\there'), ('\\.'), (E'back\\\\slash'), (NULL);
    CREATE TABLE empty_one (id int);
    CREATE SCHEMA billing;
    CREATE TABLE billing.invoices (id int, customer bigint REFERENCES customers);
    INSERT INTO billing.invoices SELECT g, g FROM generate_series(1, 40) g;
  `);
  sim = await startRenderSim({ cluster: db.cluster });
  pgDb = sim.addPostgres({ database: db.name });
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
});
after(async () => {
  await sim.close();
  rmSync(work, { recursive: true, force: true });
});

async function pgward(args: string[]) {
  const r = await runCli(args, {
    cwd: dir,
    env: { RENDER_API_KEY: sim.apiKey, PGWARD_RENDER_POLL_MS: '20', PGWARD_PG_BIN: bin.dir },
  });
  outputs.push(r.stdout, r.stderr);
  return r;
}

describe('backup create --from render-export', () => {
  it('takes a new Render export into the catalog with per-table counts; backup verify proves it', async () => {
    const r = await pgward(['backup', 'create', '--from', 'render-export', '--env', 'production', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    const counts = Object.fromEntries(
      m.tables.map((t: { schema: string; name: string; rows: number }) => [`${t.schema}.${t.name}`, t.rows]),
    );
    assert.deepEqual(counts, {
      'billing.invoices': 40,
      'public.customers': 250,
      'public.empty_one': 0,
      'public.notes': 5,
    });
    assert.equal(m.env, 'production');
    assert.equal(m.database, db.name);
    const exp = pgDb.exports[0];
    assert.ok(exp);
    assert.equal(m.renderExport.id, exp.id);
    assert.ok(m.labels.includes(`render-export:${exp.id}`));
    assert.match(r.stderr, /render export: read/);
    // no scratch database is left behind
    const left = await db.query("SELECT datname FROM pg_database WHERE datname LIKE 'pgward_%'");
    assert.deepEqual(left, []);

    const v = await pgward(['backup', 'verify', m.id, '--env', 'production']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /restore drill ok \(4 tables/);
  });

  it('takes a named export with --export, and refuses an unknown one in one line', async () => {
    await db.query('INSERT INTO customers SELECT g, null FROM generate_series(251, 260) g');
    const before = pgDb.exports.length;
    const named = pgDb.exports[0]?.id as string;
    const r = await pgward([
      'backup',
      'create',
      '--from',
      'render-export',
      '--export',
      named,
      '--env',
      'production',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(pgDb.exports.length, before, 'no new export was asked for');
    const m = JSON.parse(r.stdout);
    assert.equal(
      m.tables.find((t: { name: string }) => t.name === 'customers').rows,
      250,
      'the named export, not the live database',
    );
    const bad = await pgward([
      'backup',
      'create',
      '--from',
      'render-export',
      '--export',
      'exp-nope',
      '--env',
      'production',
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: Render export exp-nope of dpg-\S+ is not listed\n/);
  });

  it('invariant: the Render API key never appears in output, JSON, errors or child argv', async () => {
    sim.faults.outage(1, '503');
    await pgward(['backup', 'create', '--from', 'render-export', '--env', 'production', '--json']);
    const argv = bin.argv();
    assert.match(argv, /pg_restore --list/, 'children did run');
    assert.ok(outputs.length >= 6);
    for (const text of [...outputs, argv]) {
      assert.ok(!text.includes(sim.apiKey), `the Render API key leaked:\n${text}`);
      assert.ok(!text.includes(TEST_PASSWORD), `a database password leaked:\n${text}`);
    }
  });
});
