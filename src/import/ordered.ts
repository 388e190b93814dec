// Batches written on more than one connection at once, committed strictly in order. An import's
// checkpoint is a prefix ("the first N records are in"), so batch i+1 may do its work (COPY, insert, hash)
// while batch i does, but it writes its checkpoint and commits only after batch i has committed; if any
// batch fails, every later one rolls back. A killed run therefore never leaves a committed batch after an
// uncommitted one, and resuming after the checkpoint loses nothing. With one connection it is the plain
// sequential loop.
import type pg from 'pg';

export interface OrderedBatch<T> {
  /** The batch's work, inside its transaction, concurrently with the previous batches'. */
  work: (client: pg.Client) => Promise<T>;
  /** Inside the transaction, once every previous batch has committed: the checkpoint. */
  checkpoint: (client: pg.Client, result: T) => Promise<void>;
  /** After this batch's COMMIT. */
  committed: (result: T) => Promise<void> | void;
}

export class OrderedTransactions {
  private previous: Promise<void> = Promise.resolve();
  private readonly busy: Array<Promise<void>>;
  private submitted = 0;
  private failure: { error: unknown } | undefined;

  constructor(private readonly clients: pg.Client[]) {
    this.busy = clients.map(() => Promise.resolve());
  }

  /**
   * Starts a batch on connection `slot` (by default the next in turn) once it is free: at most one
   * transaction per connection.
   */
  async submit<T>(batch: OrderedBatch<T>, slot = this.submitted % this.clients.length): Promise<void> {
    this.submitted++;
    await this.busy[slot];
    if (this.failure) throw this.failure.error;
    const task = this.run(this.clients[slot]!, batch, this.previous);
    this.previous = task;
    this.busy[slot] = task.catch((error: unknown) => {
      this.failure ??= { error };
    });
  }

  /** Waits for every batch; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every batch to commit or roll back, without throwing (before an error propagates). */
  async settle(): Promise<void> {
    await Promise.all(this.busy);
  }

  private async run<T>(client: pg.Client, batch: OrderedBatch<T>, previous: Promise<void>): Promise<void> {
    await client.query('BEGIN');
    try {
      const result = await batch.work(client);
      await previous; // throws when an earlier batch failed: this one must not commit after a gap
      await batch.checkpoint(client, result);
      await client.query('COMMIT');
      await batch.committed(result);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }
}
