// Cancellation shared by the long-running capabilities (verify, restore, recover, clone, rehearse): the
// caller (the CLI's signal handler, or a library user) aborts an AbortSignal; the capability stops its
// children, removes what it created, records nothing, and throws an InterruptedError.
import { ExitCode, PgwardError } from './errors.js';

export class InterruptedError extends PgwardError {
  constructor(what: string, cleanup = 'nothing was recorded') {
    super(`${what} interrupted: ${cleanup}`, { exitCode: ExitCode.interrupted });
    this.name = 'InterruptedError';
  }
}

export function isInterrupted(err: unknown): boolean {
  return err instanceof InterruptedError || (err as Error | undefined)?.name === 'InterruptedError';
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new InterruptedError(what);
}

/**
 * Settles with `work`, or rejects with an InterruptedError as soon as `signal` aborts, so the caller's
 * cleanup (e.g. DROP DATABASE ... WITH (FORCE), which also ends the queries `work` is waiting on) runs
 * at once instead of after the running query. The abandoned work's own failure is swallowed.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  work.catch(() => {});
  if (signal.aborted) return Promise.reject(new InterruptedError(what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new InterruptedError(what));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? new InterruptedError(what) : e);
      },
    );
  });
}
