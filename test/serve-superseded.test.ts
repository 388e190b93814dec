// A fleet too busy to run every slot still accounts for every slot: two replicas' schedulers whose job
// capacity (serve.jobs.concurrency) is taken by other work while the cron keeps firing. When capacity
// comes back, the newest slot runs and the ones that waited are recorded as skipped (superseded), each
// slot exactly once across the replicas, with no gap on the schedule's grid.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { defaultPolicy } from '../src/config/target.js';
import { Limiter } from '../src/db/limit.js';
import { Alerter } from '../src/serve/alerts.js';
import { Scheduler } from '../src/serve/scheduler.js';
import { ensureTables } from '../src/serve/store.js';
import { createTestDatabase, sessionsOpened, type TestDatabase } from './harness/db.js';
import { until } from './harness/serve.js';

/** A limiter of one whose only slot is held by other work until release() is called. */
function busyLimiter(): { limiter: Limiter; release: () => void } {
  const limiter = new Limiter(1);
  let release = () => {};
  void limiter.run(
    () =>
      new Promise<void>((resolve) => {
        release = resolve;
      }),
  );
  return { limiter, release: () => release() };
}

function replica(
  db: TestDatabase,
  limiter: Limiter | undefined,
  logs: string[],
  pattern = '* * * * * *',
  hint?: () => pg.Client | undefined,
): Scheduler {
  const env = 'prod';
  return new Scheduler({
    env,
    schedule: { doctor: pattern },
    config: undefined,
    context: {
      config: undefined,
      target: { url: db.url, env, protected: false, policy: defaultPolicy(false) },
      source: undefined,
    },
    alerter: new Alerter(env, undefined, () => {}),
    log: (line) => logs.push(line),
    leaseMs: 30_000,
    retention: { keepDays: 30, keepRuns: 1000 },
    refreshMs: 60_000,
    jobLimiter: limiter,
    hint,
  });
}

interface SlotRow {
  at: Date;
  outcome: string;
  error: string | null;
}

test('invariant: every slot that fires while replicas have no job capacity is recorded exactly once (run or skipped as superseded), none lost', async () => {
  const db = await createTestDatabase();
  const busy = [busyLimiter(), busyLimiter()];
  const logs: string[] = [];
  const replicas = busy.map((b) => replica(db, b.limiter, logs));
  try {
    for (const r of replicas) r.start();
    // About four slots fire on each replica while neither can run anything.
    await new Promise((r) => setTimeout(r, 4_200));
    const releasedAt = Date.now();
    for (const b of busy) b.release();
    const rows = await until(async () => {
      const r = await db
        .query<SlotRow>(
          "SELECT scheduled_for AS at, outcome, error FROM pgward.jobs WHERE job = 'doctor' ORDER BY scheduled_for",
        )
        .catch(() => [] as SlotRow[]);
      const ran = r.filter((x) => x.outcome === 'ok' || x.outcome === 'failed');
      return r.length >= 5 && ran.some((x) => x.at.getTime() < releasedAt) ? r : undefined;
    }, 'the slots that waited to be recorded');
    for (const r of replicas) await r.stop();
    const all = await db.query<SlotRow>(
      "SELECT scheduled_for AS at, outcome, error FROM pgward.jobs WHERE job = 'doctor' ORDER BY scheduled_for",
    );
    assert.ok(rows.length >= 5, JSON.stringify(rows));
    // No gap: from the first slot to the last, every second of the grid has its row (one: the key is unique).
    for (let k = 1; k < all.length; k++)
      assert.equal(
        all[k]!.at.getTime() - all[k - 1]!.at.getTime(),
        1_000,
        `gap after ${all[k - 1]!.at.toISOString()}`,
      );
    const waited = all.filter((x) => x.at.getTime() < releasedAt - 1_000);
    const skipped = waited.filter((x) => x.outcome === 'skipped');
    assert.ok(skipped.length >= 2, `slots that waited and were superseded: ${JSON.stringify(all)}`);
    for (const x of skipped)
      assert.match(x.error ?? '', /superseded by the slot of .*serve\.jobs\.concurrency/);
    assert.ok(!all.some((x) => x.outcome === 'running'), 'nothing left running');
    assert.ok(
      logs.some((l) =>
        /slot\(s\) skipped, superseded by the slot of .*: \d+ waited for job capacity/.test(l),
      ),
      logs.join('\n'),
    );
  } finally {
    for (const b of busy) b.release();
    await Promise.all(replicas.map((r) => r.stop()));
  }
});

/** Blocks this process's event loop (every timer, both replicas' crons) until `untilMs`. */
function stallUntil(untilMs: number): void {
  while (Date.now() < untilMs);
}

test('invariant: a slot that fires late (the replica stalled past it by over a second) is recorded at its scheduled time, and so are the slots the stall skipped: replicas never name one slot two ways', async () => {
  const db = await createTestDatabase();
  const logs: string[] = [];
  const every = 3_000;
  const replicas = [
    replica(db, undefined, logs, '*/3 * * * * *'),
    replica(db, undefined, logs, '*/3 * * * * *'),
  ];
  try {
    // Started just after a slot, so the stalled slot is the first the replicas fire: it came due
    // while they ran, and must get its row like any later one.
    const startAt = Math.ceil(Date.now() / every) * every + 100;
    await new Promise((r) => setTimeout(r, startAt - Date.now()));
    for (const r of replicas) r.start();
    // Stall from just before the next slot to 1.4 s after the one after: croner fires once, 4.4 s late.
    const slot = startAt - 100 + every;
    await new Promise((r) => setTimeout(r, slot - Date.now() - 200));
    stallUntil(slot + every + 1_400);
    const stalledSlots = [slot, slot + every];
    const rows = await until(async () => {
      const r = await db
        .query<SlotRow>("SELECT scheduled_for AS at, outcome, error FROM pgward.jobs WHERE job = 'doctor'")
        .catch(() => [] as SlotRow[]);
      return r.filter((x) => x.outcome !== 'running').length >= 2 &&
        r.some((x) => x.at.getTime() > slot + every)
        ? r
        : undefined;
    }, 'the slots after the stall');
    for (const r of replicas) await r.stop();
    const all = await db.query<SlotRow>(
      "SELECT scheduled_for AS at, outcome, error FROM pgward.jobs WHERE job = 'doctor' ORDER BY scheduled_for",
    );
    assert.ok(rows.length >= 2);
    for (const x of all)
      assert.equal(
        x.at.getTime() % every,
        0,
        `a slot off the */3 grid: ${x.at.toISOString()} (${x.outcome})`,
      );
    const at = new Set(all.map((x) => x.at.getTime()));
    for (const s of stalledSlots)
      assert.ok(at.has(s), `the stalled slot ${new Date(s).toISOString()} has no row`);
    assert.equal(
      all.find((x) => x.at.getTime() === slot)?.outcome,
      'skipped',
      'the slot the stall skipped is recorded as superseded by the one after it',
    );
    assert.match(
      all.find((x) => x.at.getTime() === slot)?.error ?? '',
      /superseded by the slot of .*: this replica's scheduler fired late/,
      'and says why: the replica fired late, not a lack of job capacity',
    );
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
});

test('invariant: a replica whose open connection shows a slot already taken by another opens no session for it, and still runs every slot nobody took', async () => {
  const db = await createTestDatabase();
  const kept = new pg.Client({ connectionString: db.url });
  await kept.connect();
  const logs: string[] = [];
  let scheduler: Scheduler | undefined;
  try {
    await ensureTables(kept);
    // Start just after a slot (s0): the slots after it are this replica's. Another replica took four of
    // the next five; the third nobody took.
    const s0 = Math.ceil(Date.now() / 1_000) * 1_000;
    const taken = [1, 2, 4, 5].map((k) => new Date(s0 + k * 1_000));
    const free = s0 + 3_000;
    await kept.query(
      `INSERT INTO pgward.jobs (env, job, scheduled_for, finished_at, outcome, runner)
       SELECT 'prod', 'doctor', s, now(), 'ok', 'another replica' FROM unnest($1::timestamptz[]) AS s`,
      [taken],
    );
    await new Promise((r) => setTimeout(r, s0 + 100 - Date.now()));
    const before = await sessionsOpened(db);
    scheduler = replica(db, undefined, logs, '* * * * * *', () => kept);
    scheduler.start();
    await until(async () => {
      const r = await kept.query(
        "SELECT 1 FROM pgward.jobs WHERE scheduled_for = $1 AND outcome <> 'running'",
        [new Date(free)],
      );
      return Date.now() > s0 + 5_300 && r.rowCount ? true : undefined;
    }, 'the free slot run and the taken ones fired');
    await scheduler.stop();
    const opened = (await sessionsOpened(db)) - before;
    const rows = (
      await kept.query<{ at: Date; runner: string }>(
        "SELECT scheduled_for AS at, runner FROM pgward.jobs WHERE job = 'doctor' ORDER BY scheduled_for",
      )
    ).rows;
    const own = rows.filter((r) => r.runner !== 'another replica');
    assert.ok(
      own.some((r) => r.at.getTime() === free),
      `the slot nobody took was run by this replica: ${JSON.stringify(rows)}`,
    );
    for (const t of taken)
      assert.equal(
        rows.find((r) => r.at.getTime() === t.getTime())?.runner,
        'another replica',
        `the taken slot ${t.toISOString()} kept its row`,
      );
    // One session per slot this replica ran, plus the housekeeping sweep's at start: none for a taken slot.
    assert.ok(
      opened - own.length <= 1,
      `sessions opened: ${opened} for ${own.length} slot(s) run (${taken.length} taken elsewhere)\n${logs.join('\n')}`,
    );
  } finally {
    await scheduler?.stop();
    await kept.end();
  }
});
