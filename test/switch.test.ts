// pgward switch: a new database is validated against production's (schema, counts, hashes, sequences),
// then the app is pointed at it through the command provider (a real shell script that writes the URL
// where the app reads it), its health verified on the test app server, and the switch recorded in both
// databases. Failures point the app back; the old database is never dropped or changed.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type AppServer, startAppServer } from './harness/app-server.js';
import { fillRich, tableHashes } from './harness/clone-fixtures.js';
import { TEST_PASSWORD } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';
import { spellings } from './harness/spellings.js';

let prod: TestDatabase;
let staging: TestDatabase;
let app: AppServer;
let dir: string;
let follow: NodeJS.Timeout;
let copies = 0;

/** The platform: writes the URL where "the app" reads it; can fail once, or hang (for kill -9). */
const SET_URL = `#!/bin/sh
printf '%s\\n' "$0 $*" >> argv.log
if [ -f fail-next ]; then rm -f fail-next; echo "platform: the change was rejected" >&2; exit 1; fi
printf '%s' "$PGWARD_DATABASE_URL" > app-url.tmp && mv app-url.tmp app-url
if [ -f hang ]; then rm -f hang; echo $$ > hang.pid; exec sleep 60; fi
echo "url set"
`;

const appUrl = () => (existsSync(join(dir, 'app-url')) ? readFileSync(join(dir, 'app-url'), 'utf8') : null);
/** Databases the app must not be healthy on (a broken new database, say). */
const unhealthyOn = new Set<string>();

async function copyOf(db: TestDatabase): Promise<TestDatabase> {
  const name = `${db.name}_c${++copies}`;
  await adminQuery(db.cluster.url('postgres'), `CREATE DATABASE ${name} TEMPLATE ${db.name}`);
  const url = db.cluster.url(name);
  return {
    name,
    url,
    cluster: db.cluster,
    query: async (sql, p) => (await adminQuery(url, sql, p)) as never,
  };
}

const sw = (args: string[], opts: { onSpawn?: (c: ChildProcess) => void } = {}) =>
  runCli(['switch', '--env', 'production', ...args], { cwd: dir, ...opts });

async function switches(db: TestDatabase) {
  return db.query<{
    id: string;
    role: string;
    outcome: string;
    step: string;
    keep: string;
    from_url: string;
    to_url: string;
    detail: string | null;
  }>(
    `SELECT id, role, outcome, step, keep_until::text AS keep, from_url, to_url, detail FROM pgward.switches ORDER BY started_at`,
  );
}

function noSecret(...texts: string[]) {
  for (const t of texts) {
    assert.ok(!t.includes(TEST_PASSWORD), `password leaked:\n${t}`);
    assert.ok(!t.includes(encodeURIComponent(TEST_PASSWORD)), `password leaked:\n${t}`);
  }
}

/** Holds a switch's validation on the target (its count waits for this lock) until released. */
async function holdValidation(db: TestDatabase) {
  const blocker = new pg.Client({ connectionString: db.url });
  await blocker.connect();
  await blocker.query('BEGIN; LOCK TABLE app.orders IN ACCESS EXCLUSIVE MODE');
  return {
    async reached() {
      for (;;) {
        const rows = await prod.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
          [db.name],
        );
        if (rows.length) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async release() {
      await blocker.query('ROLLBACK');
      await blocker.end();
    },
  };
}

before(async () => {
  [prod, staging] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await fillRich(prod, 60);
  app = await startAppServer();
  dir = makeProject({
    'pgward.yaml': `environments:
  staging:
    url: ${staging.url}
  production:
    url: ${prod.url}
    deploy:
      provider: command
      command:
        deploy: "true"
        set_database_url: ./set-url.sh
      verify:
        health_url: ${app.healthUrl}
        checks: 2
        interval: 50ms
        timeout: 600ms
`,
    'set-url.sh': SET_URL,
  });
  chmodSync(join(dir, 'set-url.sh'), 0o755);
  // The app is healthy unless it was pointed at a database a test marked unhealthy.
  follow = setInterval(() => {
    const u = appUrl();
    app.health = u && unhealthyOn.has(u) ? 503 : 200;
  }, 10);
});
after(async () => {
  clearInterval(follow);
  await app?.close();
});

describe('switch', () => {
  it('validates only without --yes, then switches, records in both databases and keeps the old one', async () => {
    const before = await tableHashes(prod);
    const next = await copyOf(prod);
    const dry = await sw(['--to', next.url]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /validated .* \d+ tables, \d+ rows, counts match/);
    assert.match(dry.stdout, /validated only: nothing was changed/);
    assert.equal(appUrl(), null, 'no --yes: the platform was not touched');

    const r = await sw(['--to', next.url, '--yes', '--tables-hash', '--keep', '3d', '--json']);
    assert.equal(r.code, 0, r.stderr);
    noSecret(r.stdout, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.outcome, 'switched');
    assert.equal(doc.validation.mode, 'hash');
    assert.equal(appUrl(), next.url, 'the app reads the new database');
    const keep = Date.parse(doc.keepUntil) - Date.now();
    assert.ok(keep > 2.9 * 86_400_000 && keep <= 3 * 86_400_000, `keep_until ${doc.keepUntil}`);
    assert.ok(doc.notes.some((n: string) => n.includes(`DROP DATABASE "${prod.name}"`)));
    assert.ok(doc.notes.some((n: string) => /writes made to .* after the validation are not in/.test(n)));
    for (const [db, role] of [
      [prod, 'source'],
      [next, 'target'],
    ] as const) {
      const [row] = await switches(db);
      assert.equal(row?.id, doc.id);
      assert.equal(row?.role, role);
      assert.equal(row?.outcome, 'switched');
      assert.ok(row?.keep);
      noSecret(JSON.stringify(row));
      assert.match(row!.to_url, new RegExp(next.name));
    }
    // the new database is production now, whatever URL reaches it
    assert.deepEqual(await next.query('SELECT environment, protected FROM pgward.identity'), [
      { environment: 'production', protected: true },
    ]);
    assert.deepEqual(await tableHashes(prod), before);
    writeFileSync(join(dir, 'app-url'), prod.url);
  });

  it('invariant: switch never points the app at a database that differs from the source', async () => {
    const cases: [string, string, string[], RegExp][] = [
      [
        'a missing row',
        'DELETE FROM app.orders WHERE id = 7',
        [],
        /app\.orders: 180 rows on the source, 179 on the target/,
      ],
      [
        'a changed row, same count (--tables-hash)',
        "UPDATE app.users SET name = 'x' WHERE id = 3",
        ['--tables-hash'],
        /app\.users: same row count \(60\), different content/,
      ],
      [
        'a retyped column',
        'ALTER TABLE app.orders ALTER COLUMN note TYPE text',
        [],
        /app\.orders: column types differ: note character varying\(200\) → text/,
      ],
      [
        'a missing index',
        'DROP INDEX app.orders_user_idx',
        [],
        /app\.orders: missing on the target: index CREATE INDEX ON app\.orders/,
      ],
      [
        'a sequence behind',
        "SELECT setval('app.ticket_seq', 101)",
        [],
        /sequence app\.ticket_seq: at 101 on the target, 5000 on the source/,
      ],
      ['an extra table', 'CREATE TABLE app.extra (id int)', [], /app\.extra: only on the target/],
    ];
    for (const [what, change, flags, expected] of cases) {
      const next = await copyOf(prod);
      await next.query(change);
      const r = await sw(['--to', next.url, '--yes', ...flags]);
      assert.equal(r.code, 10, `${what}: ${r.stderr}`);
      assert.match(r.stderr, expected, what);
      assert.match(r.stderr, /refusing to switch production: .* differs from/);
      noSecret(r.stderr, r.stdout);
      assert.equal(appUrl(), prod.url, `${what}: the app was not pointed anywhere`);
      const mine = (await switches(next)).filter((r) => r.role === 'target');
      assert.deepEqual(mine, [], `${what}: nothing written into the refused database`);
    }
  });

  it('invariant: no spelling of the source URL makes switch treat it as a different database', async () => {
    const before = await tableHashes(prod);
    for (const s of [...spellings(prod), { name: 'the harness URL', url: prod.url }]) {
      const r = await sw(['--to', s.url, '--yes']);
      assert.equal(r.code, 6, `${s.name}: ${r.stderr}`);
      assert.match(r.stderr, /the target is the database production already uses/, s.name);
      assert.equal(appUrl(), prod.url, s.name);
    }
    // another environment's database, named or by URL, is not a switch target either
    for (const to of ['staging', staging.url]) {
      const r = await sw(['--to', to, '--yes']);
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, /to environment staging's database/);
    }
    assert.deepEqual(await tableHashes(prod), before);
  });

  it('invariant: switch never drops or changes the old database (platform failure and failed health point the app back)', async () => {
    const before = await tableHashes(prod);
    const next = await copyOf(prod);
    writeFileSync(join(dir, 'fail-next'), '');
    const refused = await sw(['--to', next.url, '--yes']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /switch of production failed: the platform step ended failed/);
    assert.match(refused.stderr, /the change was rejected/);
    assert.match(refused.stderr, new RegExp(`the app was pointed back at ${prod.name}`));
    assert.equal(appUrl(), prod.url);

    unhealthyOn.add(next.url);
    const sick = await sw(['--to', next.url, '--yes', '--read-only-source']);
    assert.equal(sick.code, 1, sick.stderr);
    assert.match(sick.stderr, /the app's health check failed \(last answer: HTTP 503/);
    assert.match(sick.stderr, /writes the app made to .* meanwhile are not in/);
    assert.equal(appUrl(), prod.url, 'pointed back at the old database');
    noSecret(refused.stderr, sick.stderr);
    const rows = (await switches(prod)).slice(-2);
    assert.deepEqual(
      rows.map((r) => [r.role, r.outcome, r.step]),
      [
        ['source', 'failed', 'done'],
        ['source', 'failed', 'done'],
      ],
    );
    assert.deepEqual(
      (await switches(next)).filter((r) => r.role === 'target').map((r) => r.outcome),
      ['failed', 'failed'],
    );
    // still there, same data, writable again (--read-only-source is lifted when the switch fails)
    assert.deepEqual(await tableHashes(prod), before);
    await prod.query("INSERT INTO app.audit (what) VALUES ('still writable')");
    await prod.query("DELETE FROM app.audit WHERE what = 'still writable'");
    unhealthyOn.clear();
  });

  it('--read-only-source: after the switch new sessions on the old database cannot write', async () => {
    const next = await copyOf(prod);
    const r = await sw(['--to', next.url, '--yes', '--read-only-source']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(appUrl(), next.url);
    await assert.rejects(
      prod.query("INSERT INTO app.audit (what) VALUES ('late write')"),
      /read-only transaction/,
    );
    await adminQuery(
      prod.cluster.url('postgres'),
      `ALTER DATABASE ${prod.name} RESET default_transaction_read_only`,
    );
    writeFileSync(join(dir, 'app-url'), prod.url);
  });

  it('after a kill -9 mid-switch the next switch says where the app may be and what to run', async () => {
    const next = await copyOf(prod);
    writeFileSync(join(dir, 'hang'), '');
    let child: ChildProcess | undefined;
    const running = sw(['--to', next.url, '--yes'], { onSpawn: (c) => (child = c) });
    const pidFile = join(dir, 'hang.pid');
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20));
    child!.kill('SIGKILL');
    await running;
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    rmSync(pidFile);
    assert.equal(appUrl(), next.url, 'the platform had applied the new URL');

    const again = await sw(['--to', next.url, '--yes']);
    assert.equal(again.code, 6, again.stderr);
    assert.match(again.stderr, /was interrupted while the platform was being told to use/);
    assert.match(again.stderr, /pgward switch --env production --resolve switched/);
    assert.match(again.stderr, /pgward switch --env production --resolve abandoned/);
    const resolved = await sw(['--resolve', 'switched', '--to', next.url]);
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.match(resolved.stdout, /recorded as switched/);
    assert.match(resolved.stdout, new RegExp(`recorded as switched in ${next.name} too`));
    const [row] = (await switches(prod)).slice(-1);
    assert.equal(row?.outcome, 'switched');
    assert.ok(row?.keep);
    const [there] = (await switches(next)).filter((x) => x.role === 'target');
    assert.deepEqual([there?.id, there?.outcome], [row?.id, 'switched']);
    writeFileSync(join(dir, 'app-url'), prod.url);
  });

  it('a switch killed before the platform was asked is closed by the next one, and the source made writable again', async () => {
    const next = await copyOf(prod);
    const hold = await holdValidation(next);
    let child: ChildProcess | undefined;
    const running = sw(['--to', next.url, '--yes', '--read-only-source'], { onSpawn: (c) => (child = c) });
    try {
      await hold.reached();
      child!.kill('SIGKILL');
      await running;
    } finally {
      await hold.release();
    }
    const [left] = (await switches(prod)).slice(-1);
    assert.deepEqual([left?.outcome, left?.step], ['in_progress', 'validating']);
    await assert.rejects(prod.query("INSERT INTO app.audit (what) VALUES ('x')"), /read-only transaction/);

    const dry = await sw(['--to', next.url]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /stopped before the app was touched \(\w+ left read-only\); the next switch with --yes closes it/,
    );
    const r = await sw(['--to', next.url, '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `switch ${left!.id} had stopped before the app was touched; recorded as abandoned, ${prod.name} writable again`,
      ),
    );
    assert.equal(appUrl(), next.url);
    await prod.query("INSERT INTO app.audit (what) VALUES ('writable')");
    await prod.query("DELETE FROM app.audit WHERE what = 'writable'");
    writeFileSync(join(dir, 'app-url'), prod.url);
  });

  it('Ctrl-C during the validation: the platform is never asked and the source is writable again', async () => {
    const next = await copyOf(prod);
    const hold = await holdValidation(next);
    let child: ChildProcess | undefined;
    const running = sw(['--to', next.url, '--yes', '--read-only-source'], { onSpawn: (c) => (child = c) });
    try {
      await hold.reached();
      child!.kill('SIGINT');
    } finally {
      await hold.release();
    }
    const r = await running;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /switch interrupted: the app was not touched/);
    assert.equal(appUrl(), prod.url);
    const [row] = (await switches(prod)).slice(-1);
    assert.deepEqual([row?.outcome, row?.step], ['abandoned', 'done']);
    await prod.query("INSERT INTO app.audit (what) VALUES ('writable')");
    await prod.query("DELETE FROM app.audit WHERE what = 'writable'");
  });

  it('Ctrl-C once the app was pointed at the new database still points it back before pgward exits', async () => {
    const next = await copyOf(prod);
    unhealthyOn.add(next.url); // verification would wait for its timeout: the interrupt comes first
    let child: ChildProcess | undefined;
    const running = sw(['--to', next.url, '--yes'], { onSpawn: (c) => (child = c) });
    while (appUrl() !== next.url) await new Promise((r) => setTimeout(r, 10));
    child!.kill('SIGINT');
    const r = await running;
    unhealthyOn.clear();
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, new RegExp(`the app was pointed back at ${prod.name}`));
    assert.equal(appUrl(), prod.url);
    const [row] = (await switches(prod)).slice(-1);
    assert.deepEqual([row?.outcome, row?.step], ['failed', 'done']);
  });

  it('a target pgward cannot write to stops the switch before anything is in progress; the platform never called', async () => {
    const next = await copyOf(prod);
    const role = `switch_ro_${copies}`;
    const password = 'ro-Secr3t-7731';
    await next.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}';
      GRANT USAGE ON SCHEMA app TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA app TO ${role};
      GRANT SELECT ON ALL SEQUENCES IN SCHEMA app TO ${role}`);
    try {
      const u = new URL(next.url);
      u.username = role;
      u.password = password;
      const r = await sw(['--to', u.toString(), '--yes']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /cannot record the switch in \w+: permission denied .*; nothing was changed/);
      assert.ok(!r.stderr.includes(password) && !r.stdout.includes(password));
      assert.equal(appUrl(), prod.url);
      assert.deepEqual(
        (await switches(prod)).filter((x) => x.outcome === 'in_progress'),
        [],
        'nothing left in progress: the next switch is not blocked',
      );
    } finally {
      await next.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });

  it('the URL reaches the platform command through its environment, never its argv', () => {
    const argv = readFileSync(join(dir, 'argv.log'), 'utf8');
    assert.match(argv, /set-url\.sh/);
    noSecret(argv);
    assert.ok(!/postgres(ql)?:\/\//.test(argv), argv);
  });

  it('a platform database id needs a provider that can look it up; bad flags are one line', async () => {
    const r = await sw(['--to', 'dpg-abc123', '--yes']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--to dpg-abc123: the command provider cannot look up a database by id/);
    const k = await sw(['--to', prod.url, '--keep', 'forever']);
    assert.equal(k.code, 2);
    assert.match(k.stderr, /--keep forever/);
    const none = await runCli(['switch', '--env', 'staging', '--to', prod.url], { cwd: dir });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /environment staging has no deploy: block/);
  });
});
