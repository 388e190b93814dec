// A counting semaphore: at most `max` tasks run at once, the others wait in order of their rank (lowest
// first; by default all rank alike, so in arrival order, which also breaks ties). The queue
// holds at most one waiter per caller that awaits its previous task (a monitor waits for its refresh
// before it schedules the next one), so with N environments it never holds more than N.
export class Limiter {
  private active = 0;
  private readonly waiting: Array<{ go: () => void; rank: number }> = [];
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

  /** Runs `fn` when a slot is free; while none is, tasks of a lower `rank` get theirs first. */
  async run<T>(fn: () => Promise<T>, rank = 0): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((go) => this.enqueue({ go, rank }));
    else this.active++;
    if (this.active > this.peak) this.peak = this.active;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter: `active` stays the same.
      if (next) next.go();
      else this.active--;
    }
  }

  /** After every waiter of a rank not above `w.rank`: arrival order among equals. */
  private enqueue(w: { go: () => void; rank: number }): void {
    let i = this.waiting.length;
    while (i > 0 && this.waiting[i - 1]!.rank > w.rank) i--;
    this.waiting.splice(i, 0, w);
  }
}
