// The counting semaphore behind serve's refresh and job limits: never more than `max` at once, and the
// waiting tasks served lowest rank first (arrival order among equals; all equal by default).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Limiter } from '../src/db/limit.js';

test('invariant: a limiter runs at most max tasks at once and serves the waiting ones lowest rank first, in arrival order among equal ranks', async () => {
  const limiter = new Limiter(2);
  const order: string[] = [];
  let running = 0;
  let most = 0;
  const release: Array<() => void> = [];
  const task = (name: string) => () =>
    new Promise<void>((resolve) => {
      order.push(name);
      most = Math.max(most, ++running);
      release.push(() => {
        running--;
        resolve();
      });
    });
  const all = [
    limiter.run(task('first')),
    limiter.run(task('second')),
    limiter.run(task('c rank 5'), 5),
    limiter.run(task('d rank 1'), 1),
    limiter.run(task('e rank 5'), 5),
    limiter.run(task('f no rank')),
    limiter.run(task('g rank 1'), 1),
  ];
  await new Promise((r) => setImmediate(r));
  while (release.length) {
    release.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(all);
  assert.deepEqual(order, ['first', 'second', 'f no rank', 'd rank 1', 'g rank 1', 'c rank 5', 'e rank 5']);
  assert.equal(most, 2);
  assert.equal(limiter.peak, 2);
});
