// kill -9 of pgward at each step of `pgward deploy`: the journal shows the step still running (never
// done), `deploy status` says the deploy stopped, and the next `pgward deploy` resumes it: finished
// steps are kept (never re-run), the interrupted one runs again, and the deploy ends as it should.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type DeployProject, deployProject, until } from './harness/deploy.js';
import { migration } from './harness/project.js';

interface Step {
  name: string;
  status: string;
  startedAt: string;
}

const USERS = migration('CREATE TABLE users (id int PRIMARY KEY);', 'DROP TABLE users;');

async function journal(p: DeployProject): Promise<{ id: string; status: string; steps: Step[] }> {
  const rows = await p.db.query(
    'SELECT id, status, steps FROM pgward.deploys ORDER BY started_at DESC LIMIT 1',
  );
  return rows[0] as never;
}

/** Starts a deploy, waits for `reached`, kills pgward with SIGKILL, and returns the journal as it was left. */
async function killDuring(p: DeployProject, reached: () => Promise<boolean> | boolean, what: string) {
  let child: ChildProcess | undefined;
  const run = p.run(['deploy', '--env', 'staging'], { onSpawn: (c) => (child = c) });
  await until(async () => ((await reached()) ? true : undefined), what);
  child!.kill('SIGKILL');
  const r = await run;
  assert.equal(r.signal, 'SIGKILL');
  // The server notices the connection is gone and frees the deploy lock with it.
  await until(
    async () =>
      (
        await p.db.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgward deploy%'",
        )
      )[0]!.n === 0
        ? true
        : undefined,
    'the killed deploy session to go away',
  );
  return journal(p);
}

/** The stopped deploy: its step `name` still running, deploy status says stopped and where. */
async function assertStoppedAt(
  p: DeployProject,
  left: { id: string; status: string; steps: Step[] },
  name: string,
) {
  assert.equal(left.status, 'running');
  const last = left.steps.at(-1)!;
  assert.equal(last.name, name);
  assert.equal(last.status, 'running', 'a step that did not finish is never marked done');
  const status = await p.run(['deploy', 'status', '--env', 'staging']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(
    status.stdout,
    new RegExp(
      `deploy ${left.id} of staging: stopped \\(no pgward runs it: the next \`pgward deploy\` resumes it\\)`,
    ),
  );
  assert.match(status.stdout, new RegExp(`${name}\\s+running`));
}

/** Resumes and checks that the steps finished before the crash were kept as they were. */
async function resume(p: DeployProject, left: { id: string; steps: Step[] }) {
  const r = await p.run(['deploy', '--env', 'staging', '--json']);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.deploy.id, left.id, 'the same deploy resumed');
  assert.equal(doc.resumed, true);
  assert.match(
    r.stderr,
    new RegExp(`resuming deploy ${left.id}: it stopped at ${left.steps.at(-1)!.name} \\(running\\)`),
  );
  for (const before of left.steps.filter((s) => s.status === 'done' || s.status === 'skipped')) {
    const after = doc.deploy.steps.find((s: Step) => s.name === before.name);
    assert.equal(after.startedAt, before.startedAt, `${before.name} was not run again`);
  }
  return { r, doc };
}

test('invariant: kill -9 during migrate resumes at migrate, never re-running preflight or deploying twice', async () => {
  const p = await deployProject({
    migrations: {
      'db/migrations/001_users.sql': USERS,
      // Sleeps until the test creates release_me: the first run is killed inside it, the resumed one passes.
      'db/migrations/002_slow.sql': migration(
        "ALTER TABLE users ADD COLUMN age int;\nSELECT pg_sleep(CASE WHEN to_regclass('public.release_me') IS NULL THEN 30 ELSE 0 END);",
      ),
    },
  });
  try {
    const left = await killDuring(
      p,
      async () =>
        (
          await p.db.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(CASE%' AND state = 'active' AND pid <> pg_backend_pid()",
          )
        )[0]!.n > 0,
      'the migration to sleep',
    );
    await assertStoppedAt(p, left, 'migrate');
    assert.deepEqual(p.deployed(), [], 'the platform deploy never started');
    await p.db.query('CREATE TABLE release_me ()');
    const { r, doc } = await resume(p, left);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(doc.deploy.status, 'succeeded');
    assert.deepEqual(p.deployed(), [left.id]);
    const applied = await p.db.query('SELECT version FROM pgward.migrations ORDER BY version');
    assert.deepEqual(
      applied.map((a) => a.version),
      ['001', '002'],
    );
  } finally {
    await p.close();
  }
});

test('invariant: kill -9 during the platform deploy resumes at the platform step, migrations kept', async () => {
  const p = await deployProject({
    migrations: { 'db/migrations/001_users.sql': USERS },
    deployWaitsFor: 'go',
  });
  const log = () =>
    existsSync(join(p.dir, 'deploy.log')) ? readFileSync(join(p.dir, 'deploy.log'), 'utf8') : '';
  try {
    const left = await killDuring(p, () => log().includes('started'), 'the deploy command to start');
    // The orphaned deploy command is the platform's business; the test stops it.
    process.kill(Number(readFileSync(join(p.dir, 'deploy.pid'), 'utf8').trim()), 'SIGKILL');
    await assertStoppedAt(p, left, 'platform');
    assert.equal(left.steps.find((s) => s.name === 'migrate')!.status, 'done');
    writeFileSync(join(p.dir, 'go'), '');
    const { r, doc } = await resume(p, left);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(doc.deploy.status, 'succeeded');
    // The command provider cannot reattach to a command of a dead process: the deploy command runs again.
    assert.equal(log().match(/started/g)?.length, 2);
    assert.deepEqual(p.deployed(), [left.id]);
    assert.equal((await p.db.query('SELECT count(*)::int AS n FROM pgward.migrations'))[0]!.n, 1);
  } finally {
    await p.close();
  }
});

test('invariant: kill -9 during verification resumes at verify, never deploying again', async () => {
  const p = await deployProject({
    migrations: { 'db/migrations/001_users.sql': USERS },
    verifyTimeout: '60s',
  });
  try {
    p.app.health = 503;
    const left = await killDuring(p, () => p.app.healthChecks > 0, 'the first health check');
    await assertStoppedAt(p, left, 'verify');
    assert.deepEqual(p.deployed(), [left.id]);
    p.app.health = 200;
    const { r, doc } = await resume(p, left);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(doc.deploy.status, 'succeeded');
    assert.deepEqual(p.deployed(), [left.id], 'the platform deploy ran once');
    assert.deepEqual(p.rolledBack(), []);
  } finally {
    await p.close();
  }
});

test('invariant: kill -9 during the pre-deploy backup resumes at backup; nothing is migrated before it', async (t) => {
  const bin = join(process.env.TMPDIR ?? '/tmp', `pgward-deploy-bin-${process.pid}`);
  const block = join(bin, 'block');
  const p0 = await deployProject({ migrations: {} });
  await p0.close();
  const realBin = p0.db.cluster.binDir;
  mkdirSync(bin, { recursive: true });
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  // pg_dump that hangs while `block` exists (its pid written down), the real one otherwise.
  writeFileSync(
    join(bin, 'pg_dump'),
    `#!/bin/sh\nif [ "$1" != "--version" ] && [ -f ${block} ]; then echo $$ > ${bin}/pid; exec sleep 60; fi\nexec ${realBin}/pg_dump "$@"\n`,
    { mode: 0o755 },
  );
  symlinkSync(join(realBin, 'pg_restore'), join(bin, 'pg_restore'));
  writeFileSync(block, '');
  const p = await deployProject({
    migrations: { 'db/migrations/001_users.sql': USERS },
    extra: 'backups:\n  storage: file://backups\n',
    env: { PGWARD_PG_BIN: bin },
  });
  try {
    const left = await killDuring(p, () => existsSync(join(bin, 'pid')), 'pg_dump to start');
    process.kill(Number(readFileSync(join(bin, 'pid'), 'utf8').trim()), 'SIGKILL');
    await assertStoppedAt(p, left, 'backup');
    assert.equal(
      (await p.db.query("SELECT to_regclass('pgward.migrations') AS t"))[0]!.t,
      null,
      'nothing migrated',
    );
    rmSync(block);
    const { r, doc } = await resume(p, left);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(doc.deploy.status, 'succeeded');
    const list = JSON.parse((await p.run(['backup', 'list', '--env', 'staging', '--json'])).stdout);
    const mine = (list.backups ?? list).filter((b: { labels: string[] }) =>
      b.labels.includes(`deploy:${left.id}`),
    );
    assert.equal(mine.length, 1, 'one pre-deploy backup, labelled with the deploy id');
    assert.equal(doc.deploy.backupId, mine[0].id);
    assert.deepEqual(p.deployed(), [left.id]);
  } finally {
    await p.close();
  }
});

test('deploy: Ctrl-C during verification marks the step interrupted (never done), exits 130, and the next run resumes it', async () => {
  const p = await deployProject({
    migrations: { 'db/migrations/001_users.sql': USERS },
    verifyTimeout: '60s',
  });
  try {
    p.app.health = 503;
    let child: ChildProcess | undefined;
    const run = p.run(['deploy', '--env', 'staging'], { onSpawn: (c) => (child = c) });
    await until(() => (p.app.healthChecks > 0 ? true : undefined), 'the first health check');
    child!.kill('SIGINT');
    const r = await run;
    assert.equal(r.code, 130, r.stderr);
    const left = await journal(p);
    assert.equal(left.status, 'running');
    assert.equal(left.steps.at(-1)!.name, 'verify');
    assert.equal(left.steps.at(-1)!.status, 'interrupted');
    p.app.health = 200;
    const again = await p.run(['deploy', '--env', 'staging', '--json']);
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout);
    assert.equal(doc.deploy.id, left.id);
    assert.equal(doc.deploy.status, 'succeeded');
    assert.deepEqual(p.deployed(), [left.id]);
  } finally {
    await p.close();
  }
});
