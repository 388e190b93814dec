// One deploy of an environment at a time: a session advisory lock on the environment's database, held by
// the journal's connection for the whole pipeline. The server frees it when pgward's connection ends
// (a kill -9 included), so "held" is the true state; the journal only tells who holds it.
import type pg from 'pg';
import { ExitCode, PgwardError } from '../errors.js';
import { LOCK_CLASS } from '../migrate/lock.js';
import { type DeployRecord, unfinishedDeploy } from './journal.js';

/** 'dp\0\0': another key than the migration lock's, so a deploy can run `migrate` while holding it. */
export const DEPLOY_LOCK_OBJ = 0x64700000;
const KEY = ((BigInt(LOCK_CLASS) << 32n) | BigInt(DEPLOY_LOCK_OBJ)).toString();

export async function tryDeployLock(client: pg.Client): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [KEY]);
  return res.rows[0]?.ok === true;
}

export async function releaseDeployLock(client: pg.Client): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::bigint)', [KEY]);
}

/** The server pid of the session holding the deploy lock, if any. */
export async function deployLockHolder(client: pg.Client): Promise<number | undefined> {
  const res = await client.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      LIMIT 1`,
    [LOCK_CLASS, DEPLOY_LOCK_OBJ],
  );
  return res.rows[0]?.pid;
}

export function currentStep(d: DeployRecord): string {
  const last = d.steps[d.steps.length - 1];
  return last ? `${last.name} (${last.status})` : 'starting';
}

/** Takes the deploy lock or throws (exit 7) naming the running deploy: id, pid, host, since when, step. */
export async function acquireDeployLock(client: pg.Client, env: string): Promise<void> {
  if (await tryDeployLock(client)) return;
  const serverPid = await deployLockHolder(client);
  const running = await unfinishedDeploy(client, env).catch(() => undefined);
  const who = running
    ? `deploy ${running.id} is running (pgward pid ${running.pid} on ${running.host}, by ${running.actor}, since ${running.startedAt}, step ${currentStep(running)})`
    : `another pgward deploy holds the deploy lock${serverPid ? ` (server pid ${serverPid})` : ''}`;
  throw new PgwardError(`${env}: ${who}`, {
    exitCode: ExitCode.lockBusy,
    hint: 'wait for it to finish (pgward deploy status), or stop that process if it is stuck: its lock goes with its connection',
  });
}
