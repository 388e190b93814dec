// backup restore: into a new database by default; into an existing one only when it is empty or with
// --clean; into a protected environment only when its name is repeated in --overwrite-protected.
// The archive's checksum is checked first and the row counts after, so "restored" means "proven".
import type { LoadedConfig } from '../config/load.js';
import { withClient } from '../db/connect.js';
import {
  createOwnedDatabase,
  type OwnedDatabase,
  type OwnedPurpose,
  type OwnedState,
  sweepBeforeRun,
} from '../db/owned.js';
import { ExitCode, PgwardError } from '../errors.js';
import { describeMatch, identifyTarget, protectedMatch } from '../identity/identify.js';
import { targetFor } from '../identity/refuse.js';
import { abortable, InterruptedError, isInterrupted, throwIfAborted } from '../interrupt.js';
import { databaseOf, pgConn, withDatabase } from '../pgtools/exec.js';
import { findPgTools, type PgTools } from '../pgtools/pgbin.js';
import { redactUrl } from '../redact.js';
import { ArchiveUnavailableError, archiveMismatch, localArchive } from './archive.js';
import { findBackup } from './catalog.js';
import { archiveKey, type BackupManifest, type TableStat } from './manifest.js';
import { parallelStats, pgRestore } from './pgrestore.js';
import { compareStats } from './snapshot.js';
import type { Storage } from './storage.js';
import { isEmptyDatabase } from './verify.js';

export interface RestoreOptions {
  storage: Storage;
  ref: string;
  /** Only used to pick `latest` within an environment's backups. */
  sourceEnv?: string | undefined;
  /** Where to restore: the target's URL (its database, or the server for --create). */
  targetUrl: string;
  targetEnv?: string | undefined;
  targetProtected?: boolean;
  /** Create this new database on the target's server and restore into it. */
  create?: string | undefined;
  clean?: boolean;
  /** pgward.yaml: its environments are probed to identify the target database (any URL spelling). */
  config?: LoadedConfig | undefined;
  /** Must name the protected environment the target database is identified as, to restore over it. */
  overwriteProtected?: string | undefined;
  noOwner?: boolean;
  jobs?: number;
  /** Directory for the downloaded archive (default: the OS temp dir). */
  tempDir?: string | undefined;
  /** Aborting stops pg_restore and drops a database this run created (InterruptedError). */
  signal?: AbortSignal | undefined;
  /** What a database made by `create` is marked as while it is filled (recover passes 'recover'). */
  purpose?: OwnedPurpose;
  /**
   * Its marker once the counts match: 'restored' by default (a result, never swept); recover --drill
   * keeps 'in-progress' because it drops the database right after.
   */
  finalState?: OwnedState;
  /** The caller swept this server already (rehearse restores into the copy it just created). */
  skipSweep?: boolean;
  onStep?: (step: 'sweep' | 'download' | 'restore' | 'validate', detail?: string) => void;
}

export interface RestoreResult {
  id: string;
  database: string;
  url: string;
  created: boolean;
  durationMs: number;
  tables: number;
  rows: number;
}

/**
 * What `pgward backup restore` does: restores a backup into a database (or a new one with `create`).
 *
 * @example
 * ```ts
 * import { backupSettings, openStorage, restoreBackup } from 'pgward';
 * const s = backupSettings(undefined);
 * const r = await restoreBackup({
 *   storage: await openStorage(s.storageUrl, s),
 *   ref: 'latest',
 *   targetUrl: 'postgresql://localhost/postgres',
 *   create: 'restored_copy',
 * });
 * console.log(r.url, r.tables, r.rows);
 * ```
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const m = await findBackup(opts.storage, opts.ref, { env: opts.sourceEnv });
  const tools = await findPgTools(
    m.pgDump.major,
    `to restore backup ${m.id} (made by pg_dump ${m.pgDump.version})`,
  );
  const dbName = opts.create ?? databaseOf(opts.targetUrl);
  const url = withDatabase(opts.targetUrl, dbName);
  // CREATE/DROP DATABASE must run from another database than the one created or dropped.
  const adminUrl =
    databaseOf(opts.targetUrl) === dbName ? withDatabase(opts.targetUrl, 'postgres') : opts.targetUrl;
  const exists = await refuseUnsafeTarget(opts, { dbName, url, adminUrl });
  let created: OwnedDatabase | undefined;

  throwIfAborted(opts.signal, 'restore');
  opts.onStep?.('download', archiveKey(m.id));
  const archive = await localArchive(opts.storage, m, opts.tempDir);
  try {
    const bad = archiveMismatch(m, archive);
    if (bad)
      throw new ArchiveUnavailableError(`backup ${m.id} cannot be restored: ${bad}`, {
        hint: 'run `pgward backup verify` on it; restore another backup',
      });
    throwIfAborted(opts.signal, 'restore');
    // Marked 'in-progress' from its creation: if this run is killed, the next run's sweep drops it.
    if (!exists) created = await createOwnedDatabase(adminUrl, dbName, opts.purpose ?? 'restore');
    try {
      const stats = await restoreAndValidate(tools, m, archive.path, { dbName, url, exists }, opts);
      throwIfAborted(opts.signal, 'restore');
      if (created) {
        const state = opts.finalState ?? 'restored';
        if (state !== 'in-progress') await created.setState(state);
        created.release();
      }
      return {
        id: m.id,
        database: dbName,
        url: redactUrl(url),
        created: created !== undefined,
        durationMs: Date.now() - started,
        tables: stats.length,
        rows: stats.reduce((n, t) => n + t.rows, 0),
      };
    } catch (err) {
      // A database pgward created and could not fill correctly is dropped: nothing half-restored remains.
      if (created) await created.drop().catch(() => created?.release());
      if (opts.signal?.aborted || isInterrupted(err))
        throw new InterruptedError(
          'restore',
          created
            ? `database ${dbName} was dropped, nothing half-restored remains`
            : `database ${dbName} may hold part of the backup; restore again with --clean`,
        );
      throw err;
    }
  } finally {
    await archive.cleanup();
  }
}

/** Where the backup goes: the database name, its URL, and the URL to create or drop it from. */
interface RestoreTarget {
  dbName: string;
  url: string;
  adminUrl: string;
}

/**
 * Refuses a target that must not be written (a --create name that exists, a protected environment, a
 * non-empty database without --clean) before anything is downloaded. Returns whether it exists.
 */
async function refuseUnsafeTarget(
  opts: RestoreOptions,
  { dbName, url, adminUrl }: RestoreTarget,
): Promise<boolean> {
  // Databases left 'in-progress' by killed runs on this server go first (a half-restored --create
  // target of a killed run must not block the rerun with "already exists").
  if (!opts.skipSweep) await sweepBeforeRun(adminUrl, (line) => opts.onStep?.('sweep', line));
  const exists = await databaseExists(opts.targetUrl, dbName);
  if (opts.create && exists) {
    throw new PgwardError(`database ${dbName} already exists on ${redactUrl(opts.targetUrl)}`, {
      exitCode: ExitCode.usage,
      hint: 'pick another --create name, or restore into it without --create (it must be empty, or pass --clean)',
    });
  }
  if (exists) {
    await refuseProtectedRestore(opts, url);
    if (!opts.clean && !(await isEmptyDatabase(url))) {
      throw new PgwardError(
        `database ${dbName} on ${redactUrl(opts.targetUrl)} is not empty: nothing was changed`,
        {
          exitCode: ExitCode.gateBlocked,
          hint: 'restore into a new database with --create <name>, or pass --clean to drop and replace the objects in the backup',
        },
      );
    }
  }
  return exists;
}

/** pg_restore into the target, then every table's row count compared with the manifest's. */
async function restoreAndValidate(
  tools: PgTools,
  m: BackupManifest,
  archivePath: string,
  { dbName, url, exists }: { dbName: string; url: string; exists: boolean },
  opts: RestoreOptions,
): Promise<TableStat[]> {
  opts.onStep?.('restore', dbName);
  await pgRestore(tools, {
    conn: pgConn(url),
    path: archivePath,
    jobs: opts.jobs ?? 2,
    clean: opts.clean === true && exists,
    noOwner: opts.noOwner === true,
    signal: opts.signal,
  });
  opts.onStep?.('validate');
  const stats = await abortable(parallelStats(url, m.tables, false, opts.jobs ?? 2), opts.signal, 'restore');
  const diff = compareStats(
    m.tables.map((t) => ({ schema: t.schema, name: t.name, rows: t.rows })),
    stats,
  );
  if (diff)
    throw new PgwardError(`restore of ${m.id} into ${dbName} does not match the backup: ${diff.message}`);
  return stats;
}

/**
 * The database about to be overwritten is identified (stamp, configured URLs), not judged by its URL:
 * a protected environment's database is replaced only when that environment is named in
 * --overwrite-protected, however the target was spelled.
 */
async function refuseProtectedRestore(opts: RestoreOptions, url: string): Promise<void> {
  const named = targetFor(opts.config, opts.targetEnv, url);
  const t = await identifyTarget(
    { ...named, protected: named.protected || opts.targetProtected === true },
    { config: opts.config },
  );
  const guarded = protectedMatch(t.identification);
  if (!guarded || opts.overwriteProtected === guarded.env) return;
  throw new PgwardError(
    `refusing to restore over protected environment ${describeMatch(guarded, t.identification)}`,
    {
      exitCode: ExitCode.gateBlocked,
      hint: `restore into a new database with --create <name>, or pass --overwrite-protected ${guarded.env} to replace it`,
    },
  );
}

/** Whether `name` exists, asked through the target's own database or, if that is the one missing, `postgres`. */
async function databaseExists(targetUrl: string, name: string): Promise<boolean> {
  const ask = (u: string) =>
    withClient(
      u,
      async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
    );
  try {
    return await ask(targetUrl);
  } catch {
    return ask(withDatabase(targetUrl, 'postgres'));
  }
}
