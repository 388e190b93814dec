// `pgward recover --via neon --at <time>`: a new Neon branch of production's branch at that time (the
// simulator copies the branch's real database: the state at <time> is the state now, a documented
// simulator limit), validated against the newest drill-proven backup: growth reported, loss exit 10.
// With --switch, a validated branch is handed to the switch flow (the command provider: a real shell
// script that writes the URL where "the app" reads it, health verified on the test app server).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AppServer, startAppServer } from './harness/app-server.js';
import { TEST_PASSWORD } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { type NeonSim, startNeonSim } from './harness/neon-sim.js';
import { makeProject, runCli } from './harness/project.js';

let sim: NeonSim;
let db: TestDatabase;
let dir: string;
let backupAt: Date;
let app: AppServer;

const SET_URL = `#!/bin/sh
printf '%s\\n' "$0" >> set-url.log
printf '%s' "$PGWARD_DATABASE_URL" > app-url
`;
const appUrl = () => (existsSync(join(dir, 'app-url')) ? readFileSync(join(dir, 'app-url'), 'utf8') : null);
const setUrlRuns = () =>
  existsSync(join(dir, 'set-url.log'))
    ? readFileSync(join(dir, 'set-url.log'), 'utf8').split('\n').length - 1
    : 0;

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
  app = await startAppServer();
  dir = makeProject({
    'pgward.yaml': `environments:
  production:
    url: ${db.url}
    neon:
      project: ${sim.projectId}
      branch: main
      api_url: ${sim.url}
    deploy:
      provider: command
      command:
        deploy: "true"
        set_database_url: ./set-url.sh
      verify:
        health_url: ${app.healthUrl}
        checks: 2
        interval: 50ms
        timeout: 2s
backups:
  storage: file://./backups
`,
    'set-url.sh': SET_URL,
  });
  chmodSync(join(dir, 'set-url.sh'), 0o755);
  backupAt = new Date();
  const b = await pgward(['backup', 'create', '--env', 'production', '--json']);
  assert.equal(b.code, 0, b.stderr);
  const v = await pgward(['backup', 'verify', JSON.parse(b.stdout).id, '--env', 'production']);
  assert.equal(v.code, 0, v.stderr);
});
after(async () => {
  await sim.close();
  await app?.close();
});

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

  it('--switch points the app at the validated branch through the switch flow (health verified, recorded)', async () => {
    const r = await viaNeon(new Date().toISOString(), '--switch', '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.validation.ok, true);
    assert.equal(doc.switch.outcome, 'switched');
    assert.equal(doc.switch.health.ok, true);
    assert.equal(doc.switch.validation, null, 'the switch did not compare it with the current database');
    assert.match(
      doc.switch.notes[0],
      /was not compared with .*: recovery validated against backup \S+ \(\d+ tables/,
    );
    assert.deepEqual(doc.nextSteps, []);
    const b = sim.branch(doc.branch.name);
    assert.ok(b);
    const url = new URL(appUrl() ?? 'postgresql://none/none');
    assert.equal(url.pathname, `/${b.database}`, 'the app now reads the branch’s database');
    assert.ok(!url.hostname.includes('-pooler'), 'the direct host, not the pooler');
    const rows = await adminQuery(
      db.url,
      "SELECT outcome, to_url FROM pgward.switches WHERE role = 'source' ORDER BY started_at DESC LIMIT 1",
    );
    assert.equal(rows[0]?.outcome, 'switched');
    assert.ok(!String(rows[0]?.to_url).includes(TEST_PASSWORD));
    assert.ok(!`${r.stdout}${r.stderr}`.includes(TEST_PASSWORD), 'password redacted');
    assert.ok(!`${r.stdout}${r.stderr}`.includes(sim.apiKey));
    // refused before anything is created: without validation, or for a backup recovery
    const branches = sim.branches().length;
    const unvalidated = await viaNeon(new Date().toISOString(), '--switch', '--no-validate');
    assert.equal(unvalidated.code, 2);
    assert.match(unvalidated.stderr, /--switch needs the validation/);
    const backup = await pgward(['recover', '--env', 'production', '--switch']);
    assert.equal(backup.code, 2);
    assert.match(backup.stderr, /--switch is for --via neon/);
    assert.equal(sim.branches().length, branches);
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

  it('invariant: recover never switches to a branch that failed validation', async () => {
    // accounts lost rows after the backup (the test above): every branch of now fails validation
    const before = appUrl();
    const runs = setUrlRuns();
    const r = await viaNeon(new Date().toISOString(), '--switch');
    assert.equal(r.code, 10, r.stderr);
    assert.match(r.stdout, /validation against backup \S+ failed: table public\.accounts/);
    assert.match(r.stdout, /not switched: the branch failed validation; the app was not touched/);
    const json = await viaNeon(new Date().toISOString(), '--switch', '--json');
    assert.equal(json.code, 10, json.stderr);
    assert.equal(JSON.parse(json.stdout).switch, null);
    assert.equal(setUrlRuns(), runs, 'the platform step never ran');
    assert.equal(appUrl(), before, 'the app still reads the same database');
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
