// backup restore: into a new database by default; into an existing one only when it is empty or with
// --clean; into a protected environment only when its name is repeated in --overwrite-protected.
// The archive's checksum is checked first and the row counts after, so "restored" means "proven".
import { quoteIdent, withClient } from '../db/connect.js';
import { ExitCode, PgwardError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { archiveMismatch, localArchive } from './archive.js';
import { findBackup } from './catalog.js';
import { databaseOf, pgConn, withDatabase } from './exec.js';
import { findPgTools } from './pgbin.js';
import { parallelStats, pgRestore } from './pgrestore.js';
import { compareStats } from './snapshot.js';
import type { Storage } from './storage.js';
import { dropDatabase, isEmptyDatabase } from './verify.js';

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
  /** Must equal targetEnv to restore into a protected environment's database. */
  overwriteProtected?: string | undefined;
  noOwner?: boolean;
  jobs?: number;
  /** Directory for the downloaded archive (default: the OS temp dir). */
  tempDir?: string | undefined;
  onStep?: (step: 'download' | 'restore' | 'validate', detail?: string) => void;
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
  const exists = await databaseExists(opts.targetUrl, dbName);
  // CREATE/DROP DATABASE must run from another database than the one created or dropped.
  const adminUrl =
    databaseOf(opts.targetUrl) === dbName ? withDatabase(opts.targetUrl, 'postgres') : opts.targetUrl;
  let created = false;
  if (opts.create && exists) {
    throw new PgwardError(`database ${dbName} already exists on ${redactUrl(opts.targetUrl)}`, {
      exitCode: ExitCode.usage,
      hint: 'pick another --create name, or restore into it without --create (it must be empty, or pass --clean)',
    });
  }
  if (exists) {
    if (opts.targetProtected && opts.overwriteProtected !== (opts.targetEnv ?? '')) {
      throw new PgwardError(`refusing to restore over protected environment ${opts.targetEnv ?? dbName}`, {
        exitCode: ExitCode.gateBlocked,
        hint: `restore into a new database with --create <name>, or pass --overwrite-protected ${opts.targetEnv ?? dbName} to replace it`,
      });
    }
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

  opts.onStep?.('download', m.archive.key);
  const archive = await localArchive(opts.storage, m, opts.tempDir);
  try {
    const bad = archiveMismatch(m, archive);
    if (bad)
      throw new PgwardError(`backup ${m.id} cannot be restored: ${bad}`, {
        hint: 'run `pgward backup verify` on it; restore another backup',
      });
    if (!exists) {
      await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(dbName)}`));
      created = true;
    }
    try {
      opts.onStep?.('restore', dbName);
      await pgRestore(tools, {
        conn: pgConn(url),
        path: archive.path,
        jobs: opts.jobs ?? 2,
        clean: opts.clean === true && exists,
        noOwner: opts.noOwner === true,
      });
      opts.onStep?.('validate');
      const stats = await parallelStats(url, m.tables, false, opts.jobs ?? 2);
      const diff = compareStats(
        m.tables.map((t) => ({ schema: t.schema, name: t.name, rows: t.rows })),
        stats,
      );
      if (diff)
        throw new PgwardError(`restore of ${m.id} into ${dbName} does not match the backup: ${diff.message}`);
      return {
        id: m.id,
        database: dbName,
        url: redactUrl(url),
        created,
        durationMs: Date.now() - started,
        tables: stats.length,
        rows: stats.reduce((n, t) => n + t.rows, 0),
      };
    } catch (err) {
      // A database pgward created and could not fill correctly is dropped: nothing half-restored remains.
      if (created) await dropDatabase(adminUrl, dbName).catch(() => {});
      throw err;
    }
  } finally {
    await archive.cleanup();
  }
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
