// The opening every run that changes the history shares (migrate, rollback): one place, so the two can
// never differ in what protects a run before its first statement.
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { sessionOf } from '../db/pooler.js';
import { identifyForWrite } from '../identity/identify.js';
import { ensureHistory } from './history.js';
import { acquireMigrationLock, bindSessionToClient, type LockHolder } from './lock.js';
import { assertPgwardRunner, resolveFramework } from './status.js';

export interface RunSessionOptions {
  target: Target;
  source: MigrationsSource;
  config?: LoadedConfig | undefined;
  dryRun?: boolean | undefined;
  /** A throwaway copy (rehearse): never identified as, nor stamped with, an environment. */
  throwaway?: boolean | undefined;
  lockWaitMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** A second client to the URL, idle, for the lock's transaction-pooler probe (else it opens one). */
  probe?: Promise<pg.Client> | undefined;
}

/** Set once the migration lock is held, so the caller's `finally` knows to release it. */
export interface LockState {
  locked: boolean;
}

/**
 * Ties the server session to this client (a killed pgward's statement dies with it), identifies the
 * database reached (policy, gate and backup catalog follow it, not the URL's spelling), checks that
 * pgward runs this project's migrations, and — unless it is a dry run — takes the migration lock and
 * makes sure the history tables exist. Returns the options with the identified target.
 */
export async function openRunSession<O extends RunSessionOptions>(
  client: pg.Client,
  given: O,
  command: 'migrate' | 'rollback',
  lock: LockState,
  onLockWait: (holder: LockHolder | undefined) => void,
): Promise<O> {
  await bindSessionToClient(client);
  const opts = given.throwaway
    ? given
    : { ...given, target: await identifyForWrite(client, given.target, given) };
  assertPgwardRunner(await resolveFramework(opts.source, client), command);
  if (!opts.dryRun) {
    await acquireMigrationLock(client, {
      session: sessionOf(given.target),
      waitMs: opts.lockWaitMs ?? 60_000,
      onWait: onLockWait,
      signal: opts.signal,
      probe: given.probe,
    });
    lock.locked = true;
    await ensureHistory(client);
  }
  return opts;
}
