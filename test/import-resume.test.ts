// A killed import (SIGKILL in the middle: no cleanup, no handler) leaves whole batches and their
// checkpoint, never half a batch; the next run starts after the checkpoint and the result equals an
// uninterrupted import — for JSON files and for Redis.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli, writeFile } from './harness/project.js';
import { type RedisServer, startRedis } from './harness/redis.js';

const dirs: string[] = [];
let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await redis?.stop();
});

const TABLE =
  'CREATE TABLE json_store (kind text PRIMARY KEY, data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())';

async function target(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await db.query(TABLE);
  return db;
}

const digest = async (db: TestDatabase) =>
  (
    await db.query(
      "SELECT count(*)::int AS n, md5(string_agg(kind || '=' || data::text, ',' ORDER BY kind)) AS h FROM json_store",
    )
  )[0] as {
    n: number;
    h: string;
  };

/** Runs the import slowly, SIGKILLs it once `atLeast` records are committed, returns the checkpoint then. */
async function killMidway(
  args: string[],
  db: TestDatabase,
  cwd: string,
  atLeast: number,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<number> {
  let stop = false;
  const run = runCli(args, {
    cwd,
    env: { PGWARD_IMPORT_PAUSE_MS: '40' },
    onSpawn: (child) => {
      const poll = async () => {
        while (!stop) {
          const r = await db
            .query('SELECT records::int AS n FROM pgward.import_runs')
            .catch(() => [] as Array<{ n: number }>);
          if ((r[0]?.n ?? 0) >= atLeast) {
            child.kill(signal);
            return;
          }
          await new Promise((res) => setTimeout(res, 50));
        }
      };
      void poll();
    },
  });
  const res = await run;
  stop = true;
  if (signal === 'SIGKILL')
    assert.equal(res.signal, 'SIGKILL', `killed in the middle (exit ${res.code}: ${res.stderr})`);
  else assert.equal(res.code, 130, `stopped by Ctrl-C in the middle: ${res.stderr}`);
  const cp = (await db.query('SELECT records::int AS n FROM pgward.import_runs'))[0] as { n: number };
  return cp.n;
}

describe('interrupted imports', () => {
  it('invariant: a killed import resumes and the result equals an uninterrupted one (JSON files)', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) =>
      JSON.stringify({ id: `r${String(i).padStart(5, '0')}`, n: i, tags: [i % 3] }),
    );
    const dir = makeProject({});
    dirs.push(dir);
    writeFile(dir, 'rows.ndjson', `${lines.join('\n')}\n`);
    const [killed, clean] = await Promise.all([target(), target()]);
    const args = (db: TestDatabase) => [
      'import',
      'rows.ndjson',
      '--kind-from',
      'field:id',
      '--batch-size',
      '100',
      '--url',
      db.url,
      '--json',
    ];

    const committed = await killMidway(args(killed), killed, dir, 300);
    assert.ok(committed >= 300 && committed < 2000, `stopped in the middle (${committed})`);
    assert.equal(committed % 100, 0, 'whole batches only');
    assert.equal((await digest(killed)).n, committed, 'the rows are exactly the checkpointed batches');

    const resumed = await runCli(args(killed), { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = JSON.parse(resumed.stdout);
    assert.equal(doc.resumedAfter, committed);
    assert.equal(doc.written.inserted, 2000 - committed);
    assert.equal(doc.proof.match, true);

    const full = await runCli(args(clean), { cwd: dir });
    assert.equal(full.code, 0, full.stderr);
    assert.deepEqual(await digest(killed), await digest(clean));
  });

  it('Ctrl-C stops after the batch in progress (exit 130), and the next run resumes', async () => {
    const lines = Array.from({ length: 1500 }, (_, i) =>
      JSON.stringify({ id: `s${String(i).padStart(5, '0')}`, n: i }),
    );
    const dir = makeProject({});
    dirs.push(dir);
    writeFile(dir, 'rows.ndjson', `${lines.join('\n')}\n`);
    const db = await target();
    const args = [
      'import',
      'rows.ndjson',
      '--kind-from',
      'field:id',
      '--batch-size',
      '100',
      '--url',
      db.url,
      '--json',
    ];
    const committed = await killMidway(args, db, dir, 200, 'SIGINT');
    assert.equal(committed % 100, 0);
    assert.equal((await digest(db)).n, committed);
    const resumed = await runCli(args, { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).resumedAfter, committed);
    assert.equal((await digest(db)).n, 1500);
  });

  it('a second import of the same source into the same table waits its turn (exit 7)', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: `c${i}`, n: i }));
    const dir = makeProject({});
    dirs.push(dir);
    writeFile(dir, 'rows.ndjson', `${lines.join('\n')}\n`);
    const db = await target();
    const args = ['import', 'rows.ndjson', '--kind-from', 'field:id', '--batch-size', '100', '--url', db.url];
    let second: Awaited<ReturnType<typeof runCli>> | undefined;
    const first = runCli(args, {
      cwd: dir,
      env: { PGWARD_IMPORT_PAUSE_MS: '100' },
      onSpawn: () => {
        void (async () => {
          while (
            ((await db.query('SELECT records::int AS n FROM pgward.import_runs').catch(() => []))[0]?.n ??
              0) < 100
          )
            await new Promise((r) => setTimeout(r, 50));
          second = await runCli(args, { cwd: dir });
        })();
      },
    });
    const r = await first;
    assert.equal(r.code, 0, r.stderr);
    while (!second) await new Promise((res) => setTimeout(res, 50));
    assert.equal(second.code, 7, second.stderr);
    assert.match(second.stderr, /another pgward import of .* into json_store is running/);
  });

  it('invariant: a killed Redis import resumes after its last committed batch and equals an uninterrupted one', async () => {
    const p = redis.client.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`resume:${i}`, JSON.stringify({ i, s: `v${i}` }));
    await p.exec();
    const [killed, clean] = await Promise.all([target(), target()]);
    const args = (db: TestDatabase) => [
      'import',
      '--redis',
      redis.url,
      '--pattern',
      'resume:*',
      '--batch-size',
      '100',
      '--url',
      db.url,
      '--json',
    ];
    const committed = await killMidway(args(killed), killed, process.cwd(), 300);
    assert.ok(committed >= 300 && committed < 3000, `stopped in the middle (${committed})`);
    assert.equal((await digest(killed)).n, committed);

    const resumed = await runCli(args(killed));
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = JSON.parse(resumed.stdout);
    assert.equal(doc.resumedAfter, committed);
    assert.equal(doc.proof.match, true);
    assert.ok(doc.written.inserted <= 3000 - committed + 0, 'nothing committed before is written again');
    const full = await runCli(args(clean));
    assert.equal(full.code, 0, full.stderr);
    assert.deepEqual(await digest(killed), await digest(clean));
  });
});
