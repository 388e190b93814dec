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
