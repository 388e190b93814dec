// A fleet too busy to run every slot still accounts for every slot: two replicas' schedulers whose job
// capacity (serve.jobs.concurrency) is taken by other work while the cron keeps firing. When capacity
// comes back, the newest slot runs and the ones that waited are recorded as skipped (superseded), each
// slot exactly once across the replicas, with no gap on the schedule's grid.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPolicy } from '../src/config/target.js';
import { Limiter } from '../src/db/limit.js';
import { Alerter } from '../src/serve/alerts.js';
import { Scheduler } from '../src/serve/scheduler.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
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

function replica(db: TestDatabase, limiter: Limiter, logs: string[]): Scheduler {
  const env = 'prod';
  return new Scheduler({
    env,
    schedule: { doctor: '* * * * * *' },
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
      logs.some((l) => /slot\(s\) skipped: no capacity/.test(l)),
      logs.join('\n'),
    );
  } finally {
    for (const b of busy) b.release();
    await Promise.all(replicas.map((r) => r.stop()));
  }
});
