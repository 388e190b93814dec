// A fixed number of workers taking items from one queue; the first failure stops the others from
// taking new items and is rethrown once every worker has stopped (no orphan work left running).
export async function runPool<W, T>(
  workers: W[],
  items: T[],
  fn: (worker: W, item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const queue = [...items];
  let failure: unknown;
  let failed = false;
  await Promise.all(
    workers.map(async (w) => {
      while (!failed && queue.length) {
        if (signal?.aborted) {
          failed = true;
          failure ??= new Error('interrupted');
          return;
        }
        const item = queue.shift() as T;
        try {
          await fn(w, item);
        } catch (err) {
          if (!failed) failure = err;
          failed = true;
        }
      }
    }),
  );
  if (failed) throw failure;
}

/**
 * A pool whose work can grow while it runs: a finished task may queue follow-ups (a table's index builds
 * once its rows are in). Follow-ups go first, ahead of the queued copies, so the index builds of the big
 * tables that finish late do not all pile up at the end; the pool ends when both queues are empty and
 * no task is running (a running task may still queue more). Same failure rule as runPool.
 */
export class TaskPool<W> {
  private readonly first: Array<(w: W) => Promise<void>> = [];
  private readonly rest: Array<(w: W) => Promise<void>> = [];
  private running = 0;
  private failed = false;
  private failure: unknown;
  private wake: Array<() => void> = [];

  /** Queues a task behind the other queued tasks of its kind. */
  add(task: (w: W) => Promise<void>, urgent = false): void {
    (urgent ? this.first : this.rest).push(task);
    for (const f of this.wake.splice(0)) f();
  }

  async run(workers: W[], signal?: AbortSignal): Promise<void> {
    await Promise.all(workers.map((w) => this.work(w, signal)));
    if (this.failed) throw this.failure;
  }

  private async work(w: W, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (this.failed) return;
      if (signal?.aborted) {
        this.fail(new Error('interrupted'));
        return;
      }
      const task = this.first.shift() ?? this.rest.shift();
      if (!task) {
        if (this.running === 0) {
          // Nothing queued, nothing that could queue more: release the idle workers too.
          for (const f of this.wake.splice(0)) f();
          return;
        }
        await new Promise<void>((resolve) => this.wake.push(resolve));
        continue;
      }
      this.running++;
      try {
        await task(w);
      } catch (err) {
        this.fail(err);
      } finally {
        this.running--;
        if (this.running === 0 || this.failed) for (const f of this.wake.splice(0)) f();
      }
    }
  }

  private fail(err: unknown): void {
    if (!this.failed) this.failure = err;
    this.failed = true;
    for (const f of this.wake.splice(0)) f();
  }
}
