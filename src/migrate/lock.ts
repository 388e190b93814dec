// One migration run at a time per database: a session-level advisory lock held for the whole run.
// A second run polls for it up to --lock-wait, then names who holds it.
import type pg from 'pg';
import { assertSessionHolds, type SessionCheck } from '../db/pooler.js';
import { ExitCode, PgwardError } from '../errors.js';
import type { LockHolder } from '../files/migration-status.js';

export type { LockHolder } from '../files/migration-status.js';

/** Advisory lock key: two int4 halves of a fixed 63-bit number ("pgward" in ASCII, shifted). */
export const LOCK_CLASS = 0x70677761; // 'pgwa'
export const LOCK_OBJ = 0x72640000; // 'rd\0\0'
const KEY = (BigInt(LOCK_CLASS) << 32n) | BigInt(LOCK_OBJ);

export { bindSessionToClient } from '../db/session.js';

export async function tryLock(client: pg.Client): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [
    KEY.toString(),
  ]);
  return res.rows[0]?.ok === true;
}

export async function unlock(client: pg.Client): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::bigint)', [KEY.toString()]);
}

/**
 * Who holds the migration lock. The lock is looked up first and only its holder's activity is read: the
 * pg_stat_activity view reads every backend of the server, and serve asks this of every environment on
 * every refresh (a fleet of 100 databases on one server made it one of the costliest statements).
 */
export async function lockHolder(client: pg.Client): Promise<LockHolder | undefined> {
  const res = await client.query(
    `SELECT a.pid, a.application_name, pg_get_userbyid(a.usesysid) AS usename,
            a.client_addr::text AS client_addr, a.backend_start, a.xact_start, a.state, a.state_change
       FROM (SELECT l.pid FROM pg_locks l
              WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2
                AND l.objsubid = 1
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              LIMIT 1) h
       CROSS JOIN LATERAL pg_stat_get_activity(h.pid) a`,
    [LOCK_CLASS, LOCK_OBJ],
  );
  const r = res.rows[0];
  if (!r) return undefined;
  return {
    pid: r.pid,
    applicationName: r.application_name,
    user: r.usename,
    clientAddr: r.client_addr,
    backendStart: r.backend_start,
    xactStart: r.xact_start,
    state: r.state,
    stateChange: r.state_change,
  };
}

export function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'another session (it released the lock while we looked)';
  const since = Math.round((Date.now() - h.backendStart.getTime()) / 1000);
  const who = h.applicationName || 'a client';
  return `"${who}" (server pid ${h.pid}, user ${h.user}${h.clientAddr ? `, from ${h.clientAddr}` : ''}, connected ${since}s ago)`;
}

/** For `status`: who, from where, and since when (connection, transaction, current state). */
export function describeHolderInDetail(h: LockHolder): string {
  const at = (d: Date | null) => (d ? new Date(d).toISOString() : 'unknown');
  return `"${h.applicationName || 'a client'}" (server pid ${h.pid}, user ${h.user}${h.clientAddr ? `, from ${h.clientAddr}` : ''}); connected since ${at(h.backendStart)}${h.xactStart ? `, in a transaction since ${at(h.xactStart)}` : ''}, ${h.state ?? 'state unknown'} since ${at(h.stateChange)}`;
}

export interface AcquireOptions {
  /** The URL the client was opened with: the lock is never taken through a transaction pooler. */
  session: SessionCheck;
  waitMs: number;
  onWait?: (holder: LockHolder | undefined) => void;
  signal?: AbortSignal | undefined;
  /** A second client to the URL, idle, for the transaction-pooler probe (else the probe opens one). */
  probe?: Promise<pg.Client> | undefined;
}

/** Acquires the migration lock, waiting up to waitMs; throws a PgwardError naming the holder on timeout. */
export async function acquireMigrationLock(client: pg.Client, opts: AcquireOptions): Promise<void> {
  // A session advisory lock taken through a transaction pooler is held by a server session other
  // clients then share, and released by nobody: never take it there (docs/connections.md).
  await assertSessionHolds(client, opts.session, 'the migration lock', opts.probe);
  const deadline = Date.now() + opts.waitMs;
  let announced = false;
  for (;;) {
    if (await tryLock(client)) return;
    if (!announced) {
      announced = true;
      opts.onWait?.(await lockHolder(client));
    }
    if (opts.signal?.aborted)
      throw new PgwardError('interrupted while waiting for the migration lock', {
        exitCode: ExitCode.interrupted,
      });
    if (Date.now() >= deadline) {
      const holder = await lockHolder(client);
      throw new PgwardError(`another migration run holds the lock: ${describeHolder(holder)}`, {
        exitCode: ExitCode.lockBusy,
        hint: 'wait for it to finish, raise --lock-wait, or stop that process if it is stuck',
      });
    }
    await new Promise((r) => setTimeout(r, Math.min(250, Math.max(10, deadline - Date.now()))));
  }
}
