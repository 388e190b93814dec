// Nothing left behind: the built CLI is interrupted (SIGINT/SIGTERM) or killed (SIGKILL) at real moments
// (the scratch database exists and pg_restore is writing into it, a COPY is running) against real
// PostgreSQL; what it created is removed (now, or by the next run's sweep) and nothing is recorded.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { createBackup, findBackup, openStorage, type Storage } from '../src/backup/index.js';
import {
  hostTag,
  markerText,
  OTHER_HOST_STALE_MS,
  type OwnedMarker,
  orphanVerdict,
  sweepOrphans,
} from '../src/db/owned.js';
import { addBulk, appDatabase, tempDir } from './harness/backup.js';
import { type Cluster, startCluster } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { CLI, type CliResult, cliEnv, runCli } from './harness/project.js';

let other: Cluster;
let prod: TestDatabase;
let store: ReturnType<typeof tempDir>;
let storage: Storage;
let backupId: string;

before(async () => {
  other = await startCluster();
  prod = await appDatabase(200);
  await addBulk(prod, 400_000);
  await prod.query('CREATE INDEX bulk_a ON bulk (a); CREATE INDEX bulk_b ON bulk (b)');
  store = tempDir('pgward-nlb-');
  storage = await openStorage(store.url, { baseDir: store.dir, s3: {} });
  backupId = (await createBackup({ url: prod.url, storage, reason: 'manual' })).id;
});
after(() => {
  other?.stop();
  store?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function databases(serverUrl: string, like: string): Promise<string[]> {
  const rows = await adminQuery(serverUrl, 'SELECT datname FROM pg_database WHERE datname LIKE $1', [like]);
  return rows.map((r) => r.datname as string);
}

async function commentOf(serverUrl: string, name: string): Promise<string | null> {
  const rows = await adminQuery(
    serverUrl,
    "SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1",
    [name],
  );
  return (rows[0]?.c as string | null) ?? null;
}

/** Whether a pg_restore/pg_dump writing to `database` is still running on this machine. */
const toolRunning = (database: string) =>
  spawnSync('pgrep', ['-f', '--', `pg_(restore|dump).*/${database}`]).status === 0;

/** Starts the CLI; `trigger` resolves when it is time to send `signal`. */
async function interrupt(
  args: string[],
  signal: NodeJS.Signals,
  trigger: () => Promise<unknown>,
): Promise<CliResult & { sentAt: unknown }> {
  let child: ChildProcess | undefined;
  const done = runCli(args, { onSpawn: (c) => (child = c) });
  let sentAt: unknown;
  const race = await Promise.race([
    trigger().then((v) => {
      sentAt = v;
      return 'ready' as const;
    }),
    done.then(() => 'ended' as const),
  ]);
  assert.equal(race, 'ready', 'the CLI ended before the moment to interrupt it');
  child!.kill(signal);
  const r = await done;
  return { ...r, sentAt };
}

/** The scratch database `like` exists and a pg_restore writes into it: its name. */
const restoringInto = (serverUrl: string, like: string) => () =>
  waitFor(`pg_restore into ${like}`, async () => {
    const [name] = await databases(serverUrl, like);
    return name && toolRunning(name) ? name : undefined;
  });

/** A pid that existed on this host and does not any more. */
function deadPid(): number {
  const p = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(p.stdout);
}

async function makeMarked(serverUrl: string, name: string, m: Partial<OwnedMarker>): Promise<void> {
  const now = new Date().toISOString();
  const marker: OwnedMarker = {
    pgward: 1,
    purpose: 'drill',
    state: 'in-progress',
    host: hostname(),
    pid: process.pid,
    started: now,
    lease: now,
    ...m,
  };
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
  await adminQuery(serverUrl, `COMMENT ON DATABASE "${name}" IS '${markerText(marker).replace(/'/g, "''")}'`);
}

const verifyArgs = () => [
  'backup',
  '--storage',
  store.url,
  'verify',
  backupId,
  '--url',
  other.url('postgres'),
];

describe('backup verify', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    test(`invariant: ${signal} during a restore drill stops pg_restore, drops the scratch database, records nothing, exits ${code}`, async () => {
      const before = (await findBackup(storage, backupId)).verification ?? null;
      const r = await interrupt(verifyArgs(), signal, restoringInto(other.url('postgres'), 'pgward_drill_%'));
      const scratch = r.sentAt as string;
      assert.equal(r.code, code, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(await databases(other.url('postgres'), 'pgward_drill_%'), []);
      assert.deepEqual(await databases(other.url('postgres'), 'pgward_pending_%'), []);
      assert.equal(toolRunning(scratch), false, 'pg_restore was stopped');
      assert.deepEqual(
        (await findBackup(storage, backupId)).verification ?? null,
        before,
        'nothing recorded',
      );
    });
  }

  test('invariant: after kill -9 during a drill the next run finds the marked scratch database and removes it', async () => {
    const r = await interrupt(
      verifyArgs(),
      'SIGKILL',
      restoringInto(other.url('postgres'), 'pgward_drill_%'),
    );
    const scratch = r.sentAt as string;
    assert.equal(r.signal, 'SIGKILL');
    // Left behind, but marked as pgward's, in progress, by a process that is gone.
    const marker = JSON.parse(
      (await commentOf(other.url('postgres'), scratch))!.replace(/^pgward:owned /, ''),
    );
    assert.equal(marker.state, 'in-progress');
    assert.equal(marker.purpose, 'drill');
    assert.equal(marker.host, hostname());
    const drill = await runCli(verifyArgs());
    assert.equal(drill.code, 0, drill.stderr);
    assert.match(drill.stderr, new RegExp(`removed orphan drill database ${scratch}`));
    assert.deepEqual(await databases(other.url('postgres'), 'pgward_drill_%'), []);
    await waitFor('the orphaned pg_restore to end', async () => !toolRunning(scratch) || undefined, 20_000);
  });
});

describe('sweep', () => {
  test('invariant: the sweep never drops a database it did not create, nor one of a live process or a finished result', async () => {
    const server = other.url('postgres');
    const dead = deadPid();
    const keep = {
      unmarked: 'pgward_drill_unmarked_x1',
      foreignComment: 'pgward_rehearse_user_comment',
      live: 'pgward_drill_live_x2',
      validated: 'db_recovered_20240101_000000',
      kept: 'pgward_rehearse_kept_x3',
      otherHostFresh: 'pgward_drill_otherhost_fresh',
      pendingOtherHost: `pgward_pending_${dead}_${hostTag('elsewhere')}_ab12`,
      malformed: 'pgward_drill_malformed',
    };
    const drop = {
      dead: 'pgward_drill_dead_x4',
      otherHostStale: 'pgward_drill_otherhost_stale',
      pendingDead: `pgward_pending_${dead}_${hostTag()}_cd34`,
    };
    await adminQuery(server, `CREATE DATABASE ${keep.unmarked}`);
    await adminQuery(server, `CREATE DATABASE ${keep.foreignComment}`);
    await adminQuery(server, `COMMENT ON DATABASE ${keep.foreignComment} IS 'made by hand, pid ${dead}'`);
    await makeMarked(server, keep.live, { pid: process.pid });
    await makeMarked(server, keep.validated, { pid: dead, purpose: 'recover', state: 'validated' });
    await makeMarked(server, keep.kept, { pid: dead, purpose: 'rehearse', state: 'kept' });
    await makeMarked(server, keep.otherHostFresh, { pid: dead, host: 'elsewhere.example' });
    await adminQuery(server, `CREATE DATABASE ${keep.pendingOtherHost}`);
    await adminQuery(server, `CREATE DATABASE ${keep.malformed}`);
    await adminQuery(server, `COMMENT ON DATABASE ${keep.malformed} IS 'pgward:owned {not json'`);
    await makeMarked(server, drop.dead, { pid: dead });
    const old = new Date(Date.now() - 7 * 3600_000).toISOString();
    await makeMarked(server, drop.otherHostStale, { pid: dead, host: 'elsewhere.example', lease: old });
    await adminQuery(server, `CREATE DATABASE ${drop.pendingDead}`);
    try {
      // Through the CLI: a command that creates a database sweeps its server first.
      const r = await runCli([
        'backup',
        '--storage',
        store.url,
        'restore',
        backupId,
        '--to',
        server,
        '--create',
        'restored_by_sweep_test',
      ]);
      assert.equal(r.code, 0, r.stderr);
      for (const name of Object.values(drop)) {
        assert.deepEqual(await databases(server, name), [], `${name} is an orphan and was removed`);
        assert.match(r.stderr, new RegExp(`removed orphan \\w+ database ${name}`));
      }
      for (const name of Object.values(keep))
        assert.deepEqual(await databases(server, name), [name], `${name} must be left alone`);
      // The restored database is a result: marked, but never swept.
      const restored = await commentOf(server, 'restored_by_sweep_test');
      assert.match(restored ?? '', /"state":"restored"/);
      const again = await sweepOrphans(server);
      assert.deepEqual(again.removed, []);
      assert.deepEqual(await databases(server, 'restored_by_sweep_test'), ['restored_by_sweep_test']);
    } finally {
      for (const name of [...Object.values(keep), 'restored_by_sweep_test'])
        await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});

describe('orphan verdict', () => {
  test('invariant: only an in-progress marker of a dead local process, or of another host past its lease, is an orphan', () => {
    const dead = deadPid();
    const now = Date.now();
    const at = (msAgo: number) => new Date(now - msAgo).toISOString();
    const marker = (m: Partial<OwnedMarker>) =>
      markerText({
        pgward: 1,
        purpose: 'drill',
        state: 'in-progress',
        host: hostname(),
        pid: dead,
        started: at(1000),
        lease: at(1000),
        ...m,
      });
    const verdict = (name: string, comment: string | null) => orphanVerdict({ name, comment }, now) !== null;
    assert.equal(verdict('a', marker({})), true, 'dead local process');
    assert.equal(verdict('a', marker({ pid: process.pid })), false, 'live local process');
    assert.equal(
      verdict('a', marker({ pid: process.ppid, started: at(1000) })),
      false,
      'live parent process',
    );
    for (const state of ['validated', 'restored', 'kept'] as const)
      assert.equal(verdict('a', marker({ state })), false, `${state} is a result`);
    const away = { host: 'elsewhere.example', pid: process.pid };
    assert.equal(verdict('a', marker({ ...away, lease: at(OTHER_HOST_STALE_MS - 60_000) })), false);
    assert.equal(verdict('a', marker({ ...away, lease: at(OTHER_HOST_STALE_MS + 60_000) })), true);
    assert.equal(verdict('a', marker({ ...away, lease: 'not a date' })), false, 'unreadable lease: keep');
    assert.equal(verdict('pgward_drill_x', null), false, 'no marker');
    assert.equal(verdict('pgward_drill_x', 'pgward:owned {"pgward":2}'), false, 'not our marker version');
    assert.equal(verdict('pgward_drill_x', `${marker({})}x`), false, 'malformed marker');
    assert.equal(verdict(`pgward_pending_${dead}_${hostTag()}_ab`, null), true, 'killed while being created');
    assert.equal(verdict(`pgward_pending_${process.pid}_${hostTag()}_ab`, null), false, 'being created now');
    assert.equal(verdict(`pgward_pending_${dead}_${hostTag('other')}_ab`, null), false, 'another host');
    assert.equal(
      verdict(`pgward_pending_${dead}_${hostTag()}_ab`, 'a comment'),
      false,
      'someone commented it',
    );
    assert.equal(verdict(`pgward_pending_${dead}_${hostTag()}_ab_x`, null), false, 'not the exact pattern');
  });
});

describe('sweep and a live run', () => {
  test('invariant: a running drill is never swept by another run; interrupting it then removes it', async () => {
    let child: ChildProcess | undefined;
    const done = runCli(verifyArgs(), { onSpawn: (c) => (child = c) });
    const scratch = await restoringInto(other.url('postgres'), 'pgward_drill_%')();
    const swept = await sweepOrphans(other.url('postgres'));
    assert.deepEqual(swept.removed, [], 'the live run keeps its scratch database');
    const concurrent = await runCli([...verifyArgs(), '--no-drill']);
    assert.equal(concurrent.code, 0, concurrent.stderr);
    assert.doesNotMatch(concurrent.stderr, new RegExp(scratch), 'the concurrent run swept nothing of it');
    // The drill may have finished meanwhile and dropped its own scratch database (it does so before it
    // records and exits). Had the concurrent run dropped it mid-drill instead, the drill could not
    // complete: it would fail, not exit 0.
    const stillThere = (await databases(other.url('postgres'), scratch)).length === 1;
    if (stillThere) child!.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, stillThere ? 130 : 0, r.stderr);
    assert.deepEqual(await databases(other.url('postgres'), 'pgward_drill_%'), []);
  });
});

describe('restore --create', () => {
  const restoreArgs = (name: string) => [
    'backup',
    '--storage',
    store.url,
    'restore',
    backupId,
    '--to',
    other.url('postgres'),
    '--create',
    name,
  ];

  test('invariant: SIGTERM during restore --create stops pg_restore and drops the half-restored database (exit 143)', async () => {
    const r = await interrupt(
      restoreArgs('half_restored_a'),
      'SIGTERM',
      restoringInto(other.url('postgres'), 'half_restored_a'),
    );
    assert.equal(r.code, 143, r.stderr);
    assert.match(r.stderr, /restore interrupted: database half_restored_a was dropped/);
    assert.deepEqual(await databases(other.url('postgres'), 'half_restored_a'), []);
    assert.equal(toolRunning('half_restored_a'), false);
  });

  test('invariant: after kill -9 during restore --create the next restore removes the half-restored database, even under the same name', async () => {
    const r = await interrupt(
      restoreArgs('half_restored_b'),
      'SIGKILL',
      restoringInto(other.url('postgres'), 'half_restored_b'),
    );
    assert.equal(r.signal, 'SIGKILL');
    assert.match((await commentOf(other.url('postgres'), 'half_restored_b')) ?? '', /"state":"in-progress"/);
    // The rerun under the same name removes the half-restored one first, then restores it whole.
    const next = await runCli(restoreArgs('half_restored_b'));
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /removed orphan restore database half_restored_b/);
    assert.match((await commentOf(other.url('postgres'), 'half_restored_b')) ?? '', /"state":"restored"/);
    const rows = await adminQuery(other.url('half_restored_b'), 'SELECT count(*)::int AS n FROM bulk');
    assert.equal(rows[0]!.n, 400_000);
    await adminQuery(other.url('postgres'), 'DROP DATABASE half_restored_b WITH (FORCE)');
  });
});

describe('recover', () => {
  const recoverArgs = () => [
    'recover',
    '--url',
    prod.url,
    '--storage',
    store.url,
    '--backup',
    backupId,
    '--server',
    other.url('postgres'),
  ];
  const recoveries = async () =>
    ((await findBackup(storage, backupId)) as { recoveries?: unknown[] }).recoveries?.length ?? 0;

  test('invariant: SIGINT during recover drops the unvalidated database, records nothing and exits 130', async () => {
    const before = await recoveries();
    const r = await interrupt(recoverArgs(), 'SIGINT', restoringInto(other.url('postgres'), '%_recovered_%'));
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(await databases(other.url('postgres'), '%_recovered_%'), []);
    assert.equal(toolRunning(r.sentAt as string), false);
    assert.equal(await recoveries(), before, 'nothing recorded');
  });

  test('invariant: a recovered database is in progress until validated, swept after kill -9, and kept once validated', async () => {
    const r = await interrupt(
      recoverArgs(),
      'SIGKILL',
      restoringInto(other.url('postgres'), '%_recovered_%'),
    );
    const orphan = r.sentAt as string;
    assert.match(
      (await commentOf(other.url('postgres'), orphan)) ?? '',
      /"purpose":"recover".*"state":"in-progress"/,
    );
    await sleep(1100); // the next recovery's timestamped name must differ from the orphan's
    const ok = await runCli(recoverArgs());
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, new RegExp(`removed orphan recover database ${orphan}`));
    const [good] = await databases(other.url('postgres'), '%_recovered_%');
    assert.ok(good && good !== orphan);
    assert.match((await commentOf(other.url('postgres'), good)) ?? '', /"state":"validated"/);
    assert.deepEqual((await sweepOrphans(other.url('postgres'))).removed, []);
    assert.deepEqual(await databases(other.url('postgres'), good), [good]);
    await adminQuery(other.url('postgres'), `DROP DATABASE "${good}" WITH (FORCE)`);
  });
});

describe('clone', () => {
  let source: TestDatabase;
  before(async () => {
    source = await createTestDatabase();
    await source.query(`CREATE TABLE big AS SELECT g AS id, md5(g::text) AS a, repeat(md5(g::text), 4) AS b
                        FROM generate_series(1, 400000) g;
                        CREATE TABLE small (id int PRIMARY KEY); INSERT INTO small SELECT generate_series(1, 10);`);
  });
  const cloneArgs = (target: TestDatabase, ...more: string[]) => [
    'clone',
    '--from',
    source.url,
    '--to',
    target.url,
    '--jobs',
    '2',
    ...more,
  ];
  const copying = (target: TestDatabase) => () =>
    waitFor('a COPY into the target', async () => {
      const rows = await adminQuery(
        target.url,
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%' AND state = 'active'",
      );
      return rows.length > 0 || undefined;
    });
  const mark = async (t: TestDatabase) =>
    (await t.query("SELECT to_regclass('pgward_clone.state')::text AS t"))[0]?.t
      ? ((await t.query('SELECT state FROM pgward_clone.state'))[0]?.state ?? 'schema only')
      : null;
  const userTables = async (t: TestDatabase) =>
    (
      await t.query(
        "SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgward_clone')",
      )
    ).map((r) => r.t as string);

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    test(`invariant: ${signal} during a clone exits ${code} and leaves the target marked incomplete, never looking finished`, async () => {
      const target = await createTestDatabase(other);
      const r = await interrupt(cloneArgs(target), signal, copying(target));
      assert.equal(r.code, code, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal(await mark(target), 'incomplete');
      assert.deepEqual(await userTables(target), [], 'the partial copy was emptied');
      await waitFor(
        'no clone connection left running',
        async () => {
          const rows = await adminQuery(
            target.url,
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgward clone%'",
          );
          return rows[0]!.n === 0 || undefined;
        },
        5000,
      );
      // A compare says it is not a finished clone; the next clone says what it replaces, then clears the mark.
      const cmp = await runCli([...cloneArgs(target, '--compare-only'), '--json']);
      assert.equal(cmp.code, 10, cmp.stderr);
      assert.equal(JSON.parse(cmp.stdout).targetIncomplete.state, 'incomplete');
      const again = await runCli(cloneArgs(target));
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /held an incomplete clone/);
      assert.equal(await mark(target), null);
    });
  }

  test('invariant: after kill -9 the target stays marked incomplete; only a validated clone clears the mark', async () => {
    const target = await createTestDatabase(other);
    const r = await interrupt(cloneArgs(target), 'SIGKILL', copying(target));
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(await mark(target), 'incomplete');
    assert.ok((await userTables(target)).length > 0, 'killed mid-copy: a partial copy is there');
    const refused = await runCli(cloneArgs(target));
    assert.equal(refused.code, 6, refused.stderr);
    assert.match(refused.stderr, /holds an incomplete clone/);
    const ok = await runCli(cloneArgs(target, '--clean'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await mark(target), null);
    assert.deepEqual((await userTables(target)).sort(), ['public.big', 'public.small']);
    const cmp = await runCli(cloneArgs(target, '--compare-only'));
    assert.equal(cmp.code, 0, cmp.stderr);
  });
});

describe('clone --compare-only', () => {
  for (const verify of ['count', 'hash']) {
    test(`invariant: schema drift is reported as differences (exit 10, listed in JSON), never a crash (--verify ${verify})`, async () => {
      const src = await createTestDatabase();
      const dst = await createTestDatabase(other);
      await src.query(`CREATE TABLE same (id int, v text); INSERT INTO same VALUES (1, 'a');
        CREATE TABLE dropped_col (id int, gone text); INSERT INTO dropped_col VALUES (1, 'x');
        CREATE TABLE retyped (id int, v int); INSERT INTO retyped VALUES (1, 2);
        CREATE TABLE missing (id int);`);
      await dst.query(`CREATE TABLE same (id int, v text); INSERT INTO same VALUES (1, 'a');
        CREATE TABLE dropped_col (id int); INSERT INTO dropped_col VALUES (1);
        CREATE TABLE retyped (id int, v text); INSERT INTO retyped VALUES (1, '2');
        CREATE TABLE extra (id int);`);
      const r = await runCli([
        'clone',
        '--from',
        src.url,
        '--to',
        dst.url,
        '--compare-only',
        '--verify',
        verify,
        '--json',
      ]);
      assert.equal(r.code, 10, r.stderr);
      assert.doesNotMatch(r.stderr, /unexpected failure|\n\s+at /);
      const doc = JSON.parse(r.stdout);
      const problems = Object.fromEntries(
        doc.differences.map((d: { table: string; problem: string }) => [d.table, d.problem]),
      );
      assert.deepEqual(Object.keys(problems).sort(), [
        'public.dropped_col',
        'public.extra',
        'public.missing',
        'public.retyped',
      ]);
      assert.match(problems['public.dropped_col'], /columns missing on the target: gone/);
      assert.match(problems['public.retyped'], /column types differ: v integer → text/);
      assert.match(problems['public.missing'], /missing on the target/);
      assert.match(problems['public.extra'], /only on the target/);
    });
  }
});

describe('rehearse', () => {
  test('invariant: SIGTERM during a rehearsal drops its copy and exits 143; a killed one is swept by the next', async () => {
    const { makeProject, migration } = await import('./harness/project.js');
    const env = await createTestDatabase();
    await env.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000)');
    const dir = makeProject({
      'pgward.yaml': `environments:\n  production:\n    url: ${env.url}\nrehearsal:\n  server: ${other.url('postgres')}\n`,
      'db/migrations/20240101000000_slow.sql': migration('SELECT pg_sleep(30);'),
    });
    const run = (signal: NodeJS.Signals) => {
      let child: ChildProcess | undefined;
      const done = new Promise<CliResult>((resolve) => {
        child = spawn(process.execPath, [CLI, 'rehearse', '--env', 'production'], {
          cwd: dir,
          env: cliEnv(),
        });
        let stderr = '';
        child.stderr!.on('data', (d) => {
          stderr += d;
        });
        child.on('close', (code, sig) => resolve({ code, signal: sig, stdout: '', stderr }));
      });
      return waitFor('the migration running on the copy', async () => {
        const rows = await adminQuery(
          other.url('postgres'),
          "SELECT datname FROM pg_stat_activity WHERE datname LIKE 'pgward_rehearse%' AND query LIKE '%pg_sleep%'",
        );
        return rows[0]?.datname as string | undefined;
      }).then(async (copy) => {
        child!.kill(signal);
        return { copy, r: await done };
      });
    };
    const term = await run('SIGTERM');
    assert.equal(term.r.code, 143, term.r.stderr);
    assert.deepEqual(await databases(other.url('postgres'), 'pgward_rehearse%'), []);
    const killed = await run('SIGKILL');
    assert.equal(killed.r.signal, 'SIGKILL');
    assert.deepEqual(await databases(other.url('postgres'), 'pgward_rehearse%'), [killed.copy]);
    // The next rehearsal (of another project, same rehearsal server) removes it first.
    const next = await runCli(['rehearse', '--env', 'production'], {
      cwd: makeProject({
        'pgward.yaml': `environments:\n  production:\n    url: ${env.url}\nrehearsal:\n  server: ${other.url('postgres')}\n`,
        'db/migrations/20240101000000_quick.sql': migration('CREATE TABLE quick (id int);'),
      }),
    });
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`removed orphan rehearse database ${killed.copy}`));
    assert.deepEqual(await databases(other.url('postgres'), 'pgward_rehearse%'), []);
  });

  test('invariant: a kept rehearsal copy is a result the sweep never drops', async () => {
    const { makeProject, migration } = await import('./harness/project.js');
    const env = await createTestDatabase();
    await env.query('CREATE TABLE t (id int PRIMARY KEY)');
    // --keep marks the copy 'kept': a result, never swept.
    const keptRun = await runCli(['rehearse', '--env', 'production', '--keep'], {
      cwd: makeProject({
        'pgward.yaml': `environments:\n  production:\n    url: ${env.url}\nrehearsal:\n  server: ${other.url('postgres')}\n`,
        'db/migrations/20240101000000_quick.sql': migration('CREATE TABLE quick (id int);'),
      }),
    });
    assert.equal(keptRun.code, 0, keptRun.stderr);
    const [kept] = await databases(other.url('postgres'), 'pgward_rehearse%');
    assert.match((await commentOf(other.url('postgres'), kept!)) ?? '', /"state":"kept"/);
    assert.deepEqual((await sweepOrphans(other.url('postgres'))).removed, []);
    await adminQuery(other.url('postgres'), `DROP DATABASE "${kept}" WITH (FORCE)`);
  });
});
