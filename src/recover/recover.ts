// Disaster recovery: restore the newest backup whose drill passed (or the one named) into a NEW database
// named with a timestamp, validated against the manifest's row counts, and say exactly how to switch to
// it. --drill measures the same thing and drops the database, recording the recovery time in the catalog.
import { ArchiveUnavailableError } from '../backup/archive.js';
import {
  BackupGoneError,
  filterBackups,
  findBackup,
  readCatalog,
  updateManifest,
} from '../backup/catalog.js';
import { addVerification, type BackupManifest } from '../backup/manifest.js';
import { restoreBackup } from '../backup/restore.js';
import { drillPassed } from '../backup/retention.js';
import type { Storage } from '../backup/storage.js';
import { dropDatabase } from '../backup/verify.js';
import type { LoadedConfig } from '../config/load.js';
import { setOwnedState } from '../db/owned.js';
import { PgwardError } from '../errors.js';
import { formatDuration, SECONDS } from '../format/units.js';
import { identifyTarget } from '../identity/identify.js';
import { targetFor } from '../identity/refuse.js';
import { InterruptedError, isInterrupted } from '../interrupt.js';
import { databaseOf, withDatabase } from '../pgtools/exec.js';
import { redactUrl } from '../redact.js';

export interface RecoverOptions {
  storage: Storage;
  env: string | undefined;
  /** The environment's URL: its server receives the new database unless serverUrl is given. */
  envUrl: string;
  serverUrl?: string | undefined;
  /** pgward.yaml: its environments are probed to identify the database at envUrl. */
  config?: LoadedConfig | undefined;
  backup?: string | undefined;
  drill?: boolean;
  jobs?: number;
  noOwner?: boolean;
  /** Aborting stops the restore, drops the new database and records nothing (InterruptedError). */
  signal?: AbortSignal | undefined;
  onStep?: (
    step: 'select' | 'sweep' | 'download' | 'restore' | 'validate' | 'drop' | 'record',
    detail?: string,
  ) => void;
}

export interface RecoveryRecord {
  at: string;
  durationMs: number;
  drill: boolean;
  ok: boolean;
  database: string;
  error?: string;
}

export interface RecoverResult {
  backup: { id: string; startedAt: string; env: string | null; verifiedAt: string | null };
  database: string;
  url: string;
  durationMs: number;
  tables: number;
  rows: number;
  drill: boolean;
  dropped: boolean;
  nextSteps: string[];
  /** Newer proven backups passed over because their archive was missing or unreadable, and why. */
  skipped: { id: string; reason: string }[];
}

export function recoveryName(database: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '_');
  return `${database.slice(0, 40)}_recovered_${stamp}`;
}

/**
 * The backups to try, best first: the one named, or every drill-proven backup of the environment whose
 * archive is listed in storage, newest first (a manifest without its archive is not proven).
 */
async function candidates(o: RecoverOptions): Promise<BackupManifest[]> {
  if (o.backup) return [await findBackup(o.storage, o.backup, { env: o.env })];
  const { backups, missingArchives } = await readCatalog(o.storage);
  const mine = filterBackups(backups, { env: o.env });
  const missing = new Set(missingArchives);
  const good = mine.filter((m) => drillPassed(m) && !missing.has(m.id));
  if (!good.length)
    throw new PgwardError(
      `no backup of ${o.env ?? 'this database'} in ${o.storage.url} has passed a restore drill${mine.some(drillPassed) ? ' and still has its archive' : ''}`,
      {
        hint: mine.length
          ? `verify one first (pgward backup verify ${mine[0]!.id}), or name one with --backup <id> if you accept an unproven backup`
          : 'take one with `pgward backup create`, then `pgward backup verify`',
      },
    );
  return good;
}

/** Records a recovery (drill or real) in the backup's manifest; a drill also counts as a restore drill. */
async function record(
  o: RecoverOptions,
  m: BackupManifest,
  rec: RecoveryRecord,
  tables: number,
): Promise<void> {
  const change = (fresh: BackupManifest): BackupManifest => {
    const prev = (fresh as BackupManifest & { recoveries?: RecoveryRecord[] }).recoveries ?? [];
    const recoveries = [rec, ...prev].slice(0, 20);
    if (!rec.drill) return { ...fresh, recoveries } as BackupManifest;
    return {
      ...addVerification(fresh, {
        at: rec.at,
        durationMs: rec.durationMs,
        ok: rec.ok,
        into: `recover --drill (${rec.database}, dropped)`,
        checks: { sha256: rec.ok ? true : null, list: null, drill: rec.ok },
        firstDifference: rec.error ?? null,
        tablesChecked: tables,
      }),
      recoveries,
    } as BackupManifest;
  };
  try {
    await updateManifest(o.storage, m.id, 'recovering', change);
  } catch (err) {
    // Pruned meanwhile: the recovery itself stands; recording it must not resurrect the manifest.
    if (!(err instanceof BackupGoneError)) throw err;
  }
}

/** Restores the first candidate whose archive can be read; an unreadable archive falls back to the next. */
async function restoreFirstUsable(
  o: RecoverOptions,
  list: BackupManifest[],
  server: string,
  skipped: { id: string; reason: string }[],
): Promise<{ m: BackupManifest; name: string; at: string; started: number; tables: number; rows: number }> {
  for (const [i, m] of list.entries()) {
    const name = recoveryName(m.database);
    const at = new Date().toISOString();
    const started = Date.now();
    try {
      const r = await restoreBackup({
        storage: o.storage,
        ref: m.id,
        targetUrl: server,
        create: name,
        noOwner: o.noOwner === true,
        jobs: o.jobs ?? 2,
        signal: o.signal,
        // Swept if this run dies before the database is proven; switched to 'validated' by the caller.
        purpose: 'recover',
        finalState: 'in-progress',
        onStep: (s, d) => o.onStep?.(s, d),
      });
      return { m, name, at, started, tables: r.tables, rows: r.rows };
    } catch (err) {
      // restoreBackup drops a database it created and could not fill: nothing half-restored remains.
      // An interrupted recovery proves nothing about the backup, so it is not recorded either.
      if (o.signal?.aborted || isInterrupted(err))
        throw new InterruptedError('recover', `${name} was dropped, nothing was recorded`);
      if (o.drill) {
        const error = (err as Error).message;
        const rec = { at, durationMs: Date.now() - started, drill: true, ok: false, database: name, error };
        await record(o, m, rec, 0).catch(() => {});
      }
      const next = list[i + 1];
      if (!(err instanceof ArchiveUnavailableError) || !next) throw err;
      skipped.push({ id: m.id, reason: err.message });
      o.onStep?.('select', `backup ${m.id} unusable (${err.message}); falling back to ${next.id}`);
    }
  }
  throw new PgwardError('no backup to recover from'); // unreachable: list is never empty
}

/**
 * The environment whose backups are candidates is the one the database really is: `--url` spelling
 * production's URL recovers production's backups, never another environment's. When the database
 * cannot be reached (the reason to recover, often), the environment as named is all there is.
 */
async function identifiedEnv(o: RecoverOptions): Promise<string | undefined> {
  try {
    return (await identifyTarget(targetFor(o.config, o.env, o.envUrl), { config: o.config })).env;
  } catch {
    return o.env;
  }
}

/**
 * What `pgward recover` does: restores the newest drilled backup into a new database and validates it.
 *
 * @example
 * ```ts
 * import { backupSettings, openStorage, recover } from 'pgward';
 * const s = backupSettings(undefined);
 * const r = await recover({
 *   storage: await openStorage(s.storageUrl, s),
 *   env: 'production',
 *   envUrl: 'postgresql://localhost/app',
 * });
 * console.log(r.url);
 * ```
 */
export async function recover(given: RecoverOptions): Promise<RecoverResult> {
  const o = { ...given, env: await identifiedEnv(given) };
  o.onStep?.('select');
  const list = await candidates(o);
  const server = o.serverUrl ?? o.envUrl;
  const skipped: { id: string; reason: string }[] = [];
  const { m, name, at, started, ...restored } = await restoreFirstUsable(o, list, server, skipped);
  const durationMs = Date.now() - started;
  const url = withDatabase(server, name);
  const adminUrl = databaseOf(server) === name ? withDatabase(server, 'postgres') : server;
  let dropped = false;
  if (o.drill || o.signal?.aborted) {
    o.onStep?.('drop', name);
    await dropDatabase(adminUrl, name);
    dropped = true;
    if (o.signal?.aborted) throw new InterruptedError('recover', `${name} was dropped, nothing was recorded`);
  } else {
    await setOwnedState(adminUrl, name, 'validated');
  }
  o.onStep?.('record');
  await record(o, m, { at, durationMs, drill: o.drill === true, ok: true, database: name }, restored.tables);
  return {
    backup: { id: m.id, startedAt: m.startedAt, env: m.env, verifiedAt: m.verification?.at ?? null },
    database: name,
    url: redactUrl(url),
    durationMs,
    tables: restored.tables,
    rows: restored.rows,
    drill: o.drill === true,
    dropped,
    nextSteps: nextSteps(o, m, name, redactUrl(url), durationMs),
    skipped,
  };
}

/** What to do now: a drill's measured recovery time, or how to switch the application over. */
function nextSteps(
  o: RecoverOptions,
  m: BackupManifest,
  name: string,
  shown: string,
  durationMs: number,
): string[] {
  const envKey = o.env ? `environments.${o.env}.url` : 'DATABASE_URL';
  return o.drill
    ? [
        `drill passed: a recovery of ${o.env ?? m.database} takes about ${formatDuration(durationMs, SECONDS)} from backup ${m.id}`,
      ]
    : [
        `point the application at ${name}: set its DATABASE_URL (and ${envKey} in pgward.yaml) to ${shown}, with the same password, then restart it`,
        `check it first: pgward status --url '${shown}' (the schema is as of ${m.startedAt}; later writes are not in it)`,
        `data written after ${m.startedAt} is not in the backup: recover it from the old database if it is still readable`,
      ];
}
