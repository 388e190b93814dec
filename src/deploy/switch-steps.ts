// The pieces of `switch` around the platform call: the refusals taken from what the databases really are,
// a switch left in progress by a killed pgward, the optional read-only source, and the way back.
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import { defaultPolicy } from '../config/target.js';
import { quoteIdent } from '../db/connect.js';
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import {
  type DatabaseIdentity,
  describeIdentity,
  readDatabaseIdentity,
  sameDatabase,
} from '../identity/database.js';
import { identifyTarget } from '../identity/identify.js';
import { redact } from '../redact.js';
import { readSwitches, type SwitchRecord, updateSwitch } from './switch-journal.js';

/** Refuses a target that is the source (by system identifier and database oid, not by spelling). */
export function refuseSameDatabase(env: string, source: DatabaseIdentity, target: DatabaseIdentity): void {
  if (sameDatabase(source, target))
    throw new PgwardError(
      `refusing to switch ${env}: the target is the database ${env} already uses (${describeIdentity(target)})`,
      {
        exitCode: ExitCode.gateBlocked,
        hint: 'the two URLs reach one database; give the new database (a restored or cloned copy)',
      },
    );
}

/** Refuses a target that is another configured environment's database (staging's, say). */
export async function refuseOtherEnvironment(
  env: string,
  targetUrl: string,
  client: pg.Client,
  config: LoadedConfig | undefined,
): Promise<void> {
  const t = await identifyTarget(
    { env: undefined, url: targetUrl, protected: false, policy: defaultPolicy(false) },
    { config, client },
  );
  const other = t.identification.matches.find((m) => m.env !== env);
  if (other)
    throw new PgwardError(
      `refusing to switch ${env} to environment ${other.env}'s database (matched by ${other.by.join(', ')})`,
      { exitCode: ExitCode.gateBlocked, hint: `give a database of ${env}'s own, not ${other.env}'s` },
    );
}

/** What to tell about a switch found in progress: where the app may be, and what to run. */
export function describeInterrupted(env: string, r: SwitchRecord): PgwardError {
  const where =
    r.step === 'platform'
      ? `while the platform was being told to use ${r.toDatabase}: the app may use either ${r.fromDatabase} or ${r.toDatabase}`
      : r.step === 'verifying'
        ? `after the platform pointed the app at ${r.toDatabase}, before its health was verified: the app most likely uses ${r.toDatabase}`
        : `while pointing the app back at ${r.fromDatabase}: the app may use either database`;
  return new PgwardError(
    `switch ${r.id} of ${env} (${r.fromDatabase} → ${r.toDatabase}, started ${r.startedAt}) was interrupted ${where}`,
    {
      exitCode: ExitCode.gateBlocked,
      details: [
        `look at the app's database URL on the platform (${r.provider}).`,
        `if it uses ${r.toDatabase}: pgward switch --env ${env} --resolve switched --to <${r.toDatabase}> (records it in both, keeps ${r.fromDatabase})`,
        `if it uses ${r.fromDatabase}: pgward switch --env ${env} --resolve abandoned --to <${r.toDatabase}>, then switch again`,
      ],
      hint: `writes the app made to one database in the meantime are not in the other`,
    },
  );
}

/** A switch stopped before the app was touched: nothing to decide; the source's read-only flag is lifted. */
export async function abandonUntouched(
  c: pg.Client,
  r: SwitchRecord,
  sourceDatabase: string,
): Promise<string> {
  if (r.readOnlySource) await setReadOnly(c, sourceDatabase, false);
  await updateSwitch(c, r.id, {
    outcome: 'abandoned',
    detail: 'pgward stopped before the app was touched (found by the next switch)',
  });
  return `switch ${r.id} had stopped before the app was touched; recorded as abandoned${r.readOnlySource ? `, ${sourceDatabase} writable again` : ''}`;
}

/** --resolve: a human looked at the platform and says where the app is. */
export async function resolveInterrupted(
  c: pg.Client,
  env: string,
  how: 'switched' | 'abandoned',
  keepMs: number,
  id?: string,
): Promise<SwitchRecord> {
  const self = await readDatabaseIdentity(c);
  const open = await readSwitches(c, { inProgressOnly: self.fingerprint });
  const r = id ? open.find((x) => x.id === id) : open[0];
  if (!r) throw new UsageError(`--resolve: no switch of ${env} is in progress`);
  await updateSwitch(c, r.id, {
    outcome: how === 'switched' ? 'switched' : 'abandoned',
    step: 'done',
    detail: `resolved by hand after an interruption: ${how}`,
    ...(how === 'switched' ? { keepUntil: new Date(Date.now() + keepMs).toISOString() } : {}),
  });
  return r;
}

/** default_transaction_read_only on the source database: new sessions cannot write; open ones still can. */
export async function setReadOnly(c: pg.Client, database: string, on: boolean): Promise<void> {
  const sql = on
    ? `ALTER DATABASE ${quoteIdent(database)} SET default_transaction_read_only = on`
    : `ALTER DATABASE ${quoteIdent(database)} RESET default_transaction_read_only`;
  try {
    // A session opened after the database was made read-only starts read-only itself.
    await c.query('SET default_transaction_read_only = off');
    await c.query(sql);
  } catch (err) {
    throw new PgwardError(
      `cannot ${on ? 'make' : 'make writable again'} database ${database}: ${redact((err as Error).message)}`,
      { hint: 'ALTER DATABASE needs the database owner or a superuser; or leave out --read-only-source' },
    );
  }
}
