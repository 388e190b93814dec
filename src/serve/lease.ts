// A running job's lease, held for the run: renewed every third of it on the run's own (otherwise idle)
// connection. A replica that stops renewing (killed, hung, cut off) has its row failed by another
// replica's housekeeping; a run that finds its row already failed that way stops (see store.ts).
import type pg from 'pg';
import { redact } from '../redact.js';
import type { Logger } from './alerts.js';
import { renewLease } from './store.js';

export interface Lease {
  /** Aborted when serve stops or the lease was lost (the job must stop: another replica failed it). */
  signal: AbortSignal;
  lost(): boolean;
  stop(): void;
}

export interface LeaseOptions {
  leaseMs: number;
  log: Logger;
  /** serve is stopping: the run's signal aborts too. */
  stop: AbortSignal;
}

/** Renews row `id`'s lease until stop() is called; its signal aborts when serve stops or the lease is lost. */
export function holdLease(client: pg.Client, id: string, job: string, o: LeaseOptions): Lease {
  const lost = new AbortController();
  let stopped = false;
  const timer = setInterval(
    () => {
      renewLease(client, id, o.leaseMs).then(
        (held) => {
          if (held || stopped || lost.signal.aborted) return;
          o.log(`job ${job}: lease lost (another replica expired it): cancelling this run`);
          lost.abort();
        },
        // Unsure (connection trouble): keep running; the finish tells whether the run still counts.
        (err) => {
          if (!stopped) o.log(`job ${job}: cannot renew its lease: ${redact((err as Error).message)}`);
        },
      );
    },
    Math.max(200, o.leaseMs / 3),
  );
  return {
    signal: AbortSignal.any([o.stop, lost.signal]),
    lost: () => lost.signal.aborted,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
