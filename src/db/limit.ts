// A counting semaphore: at most `max` tasks run at once, the others wait in arrival order. The queue
// holds at most one waiter per caller that awaits its previous task (a monitor waits for its refresh
// before it schedules the next one), so with N environments it never holds more than N.
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most tasks seen running at once (instrumentation). */
  peak = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`limit must be a whole number >= 1, not ${max}`);
  }

  /** Tasks running now and tasks waiting for a slot. */
  get running(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    if (this.active > this.peak) this.peak = this.active;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter: `active` stays the same.
      if (next) next();
      else this.active--;
    }
  }
}
