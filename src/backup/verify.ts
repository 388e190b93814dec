// backup verify: (a) the archive's sha256 and size match the manifest, (b) pg_restore --list can read
// it, (c) the restore drill: restore into a scratch database, compare every table's count (and hash)
// with the manifest, read one row of every table. The outcome is written back into the manifest.
import { randomBytes } from 'node:crypto';
import type { LoadedConfig } from '../config/load.js';
import { quoteIdent, withClient } from '../db/connect.js';
import { createOwnedDatabase, type OwnedDatabase, sweepBeforeRun } from '../db/owned.js';
import { PgwardError } from '../errors.js';
import { refuseEnvironmentDatabase } from '../identity/refuse.js';
import { abortable, InterruptedError, isInterrupted, throwIfAborted } from '../interrupt.js';
import { databaseOf, pgConn, withDatabase } from '../pgtools/exec.js';
import { findPgTools } from '../pgtools/pgbin.js';
import { redactUrl } from '../redact.js';
import { archiveMismatch, type LocalArchive, localArchive } from './archive.js';
import { BackupGoneError, findBackup, updateManifest } from './catalog.js';
import { addVerification, type BackupManifest, type Verification } from './manifest.js';
import { listArchive, parallelStats, pgRestore } from './pgrestore.js';
import { compareStats, schemaFingerprint } from './snapshot.js';
import type { Storage } from './storage.js';

export type VerifyStep = 'sweep' | 'sha256' | 'list' | 'restore' | 'compare' | 'cleanup';

export interface VerifyOptions {
  storage: Storage;
  /** Backup id, unique prefix, or 'latest'. */
  ref: string;
  env?: string | undefined;
  /** A URL on the server where the scratch database is created (the environment's, by default). */
  serverUrl?: string | undefined;
  /** Restore into this (empty) database instead of a scratch one; it is left in place afterwards. */
  intoUrl?: string | undefined;
  /** pgward.yaml: --into is refused when it is identified as an environment's database. */
  config?: LoadedConfig | undefined;
  /** Skip the drill: checksum and --list only. */
  drill?: boolean;
  jobs?: number;
  /** Aborting stops pg_restore, drops the scratch database and records nothing (InterruptedError). */
  signal?: AbortSignal | undefined;
  onStep?: (step: VerifyStep, detail?: string) => void;
}

export interface VerifyResult extends Verification {
  id: string;
}

/**
 * The drill could not run (its server unreachable, refusing the connection or the login): a fact about
 * the drill server, not about the backup. Nothing is recorded; the backup keeps its previous status.
 */
export class DrillNotRunError extends PgwardError {}

// connect() (src/db) reports every connection failure as "cannot connect to <url>: <why>".
const isConnectFailure = (err: unknown) =>
  err instanceof PgwardError && /^cannot connect to /.test(err.message);

function drillNotRun(id: string, err: PgwardError): DrillNotRunError {
  return new DrillNotRunError(
    `restore drill of backup ${id} did not run: ${err.message}; nothing was recorded, the backup's status is unchanged`,
    { hint: 'check the drill server (--env/--url/--into) and run verify again' },
  );
}

/** Connects to where the drill will restore, before anything is checked: a drill that cannot run is "not run". */
async function probeDrillServer(id: string, url: string): Promise<void> {
  try {
    await withClient(url, (c) => c.query('SELECT 1'), { connectTimeoutMs: 5_000 });
  } catch (err) {
    if (err instanceof PgwardError) throw drillNotRun(id, err);
    throw err;
  }
}

/**
 * What `pgward backup verify` does: checksum, archive listing and a restore drill into a scratch database.
 *
 * @example
 * ```ts
 * import { backupSettings, openStorage, verifyBackup } from 'pgward';
 * const s = backupSettings(undefined);
 * const v = await verifyBackup({
 *   storage: await openStorage(s.storageUrl, s),
 *   ref: 'latest',
 *   serverUrl: 'postgresql://localhost/postgres',
 * });
 * console.log(v.ok, v.firstDifference);
 * ```
 */
export async function verifyBackup(opts: VerifyOptions): Promise<VerifyResult> {
  const manifest = await findBackup(opts.storage, opts.ref, { env: opts.env });
  const drill = opts.drill !== false;
  if (drill) await refuseDrillBeforeStart(manifest.id, opts);
  const started = Date.now();
  const checks: Verification['checks'] = { sha256: null, list: null, drill: null };
  let into = drill ? (opts.intoUrl ? redactUrl(opts.intoUrl) : 'scratch database') : 'none';
  let firstDifference: string | null = null;
  let tablesChecked = 0;
  let archive: LocalArchive | undefined;
  // A missing pg_restore is this machine's problem, not the backup's: fail before recording anything.
  const tools = await findPgTools(
    manifest.pgDump.major,
    `to read backup ${manifest.id} (made by pg_dump ${manifest.pgDump.version})`,
  );
  // Scratch databases of drills killed earlier (SIGKILL, power loss) are removed before making another.
  if (drill && opts.serverUrl && !opts.intoUrl)
    await sweepBeforeRun(opts.serverUrl, (line) => opts.onStep?.('sweep', line));
  try {
    throwIfAborted(opts.signal, 'backup verify');
    opts.onStep?.('sha256');
    archive = await localArchive(opts.storage, manifest);
    firstDifference = archiveMismatch(manifest, archive);
    checks.sha256 = firstDifference === null;
    if (checks.sha256) {
      opts.onStep?.('list');
      const listed = await listArchive(tools, archive.path);
      checks.list = listed.ok;
      if (!listed.ok)
        firstDifference = `pg_restore --list cannot read the archive: ${[listed.error.message, ...listed.error.details].join(' ')}`;
    }
    if (drill && checks.list) {
      const r = await runDrill(manifest, archive, opts, (name) => {
        into = name;
      });
      checks.drill = r.difference === null;
      tablesChecked = r.tablesChecked;
      firstDifference = r.difference;
    }
  } catch (err) {
    // An interrupted drill proves nothing either way: the catalog keeps its previous verification.
    if (opts.signal?.aborted || isInterrupted(err)) throw interrupted(opts);
    // The archive vanished under us (a prune racing this verify): a difference, and recording it below
    // finds the manifest gone too, which reports the backup pruned while verifying.
    const vanished = (err as NodeJS.ErrnoException).code === 'ENOENT';
    if (!(err instanceof PgwardError) && !vanished) throw err;
    // The drill server went away mid-drill: still the server's problem, not evidence against the backup.
    if (err instanceof PgwardError && checks.list === true && isConnectFailure(err))
      throw drillNotRun(manifest.id, err);
    firstDifference =
      err instanceof PgwardError
        ? [err.message, ...err.details].join(' — ')
        : `the archive ${manifest.archive.key} is no longer in storage`;
    if (checks.sha256 === null) checks.sha256 = false;
    else if (checks.list === null) checks.list = false;
    else checks.drill = false;
  } finally {
    await archive?.cleanup();
  }
  const v: Verification = {
    at: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    ok:
      firstDifference === null &&
      checks.sha256 === true &&
      checks.list === true &&
      (checks.drill === true || !drill),
    into,
    checks,
    firstDifference,
    tablesChecked,
  };
  if (opts.signal?.aborted) throw interrupted(opts);
  await recordVerification(opts.storage, manifest.id, v);
  return { id: manifest.id, ...v };
}

/**
 * A drill that cannot run stops before anything is checked or recorded: no server to drill on, an
 * unreachable one ("not run", whatever else would refuse it, so it is probed first), or an --into
 * database that is an environment's.
 */
async function refuseDrillBeforeStart(id: string, opts: VerifyOptions): Promise<void> {
  if (!opts.serverUrl && !opts.intoUrl) {
    throw new PgwardError('the restore drill needs a server', {
      hint: 'pass --env, --url or --into <url>, or --no-drill',
    });
  }
  await probeDrillServer(id, (opts.intoUrl ?? opts.serverUrl)!);
  if (opts.intoUrl) {
    await refuseEnvironmentDatabase(opts.intoUrl, {
      config: opts.config,
      what: 'restore a drill into',
      hint: 'drill into an empty scratch database, or leave out --into to use a throwaway one',
    });
  }
}

/**
 * Written back even when it failed: the catalog shows the last drill's outcome either way. Written to
 * the manifest as it is NOW (under the catalog lease), and never if it was pruned meanwhile.
 */
async function recordVerification(storage: Storage, id: string, v: Verification): Promise<void> {
  try {
    await updateManifest(storage, id, 'verifying', (fresh) => addVerification(fresh, v));
  } catch (err) {
    if (err instanceof BackupGoneError) {
      throw new BackupGoneError(`backup ${id} was pruned while verifying: the result was not recorded`);
    }
    throw err;
  }
}

/** What an interrupted verify says: the scratch database is gone; an --into database is the user's. */
function interrupted(opts: VerifyOptions): InterruptedError {
  return new InterruptedError(
    'backup verify',
    opts.intoUrl
      ? `${redactUrl(opts.intoUrl)} may hold part of the backup, nothing was recorded`
      : 'the scratch database was dropped, nothing was recorded',
  );
}

async function runDrill(
  m: BackupManifest,
  archive: LocalArchive,
  opts: VerifyOptions,
  setInto: (name: string) => void,
): Promise<{ difference: string | null; tablesChecked: number }> {
  const tools = await findPgTools(m.pgDump.major, `to restore backup ${m.id}`);
  const jobs = opts.jobs ?? 2;
  throwIfAborted(opts.signal, 'backup verify');
  let url: string;
  let scratch: OwnedDatabase | undefined;
  if (opts.intoUrl) {
    url = opts.intoUrl;
    if (!(await isEmptyDatabase(url))) {
      throw new PgwardError(
        `--into ${redactUrl(url)} is not empty: the drill restores only into an empty database`,
      );
    }
  } else {
    const name = `pgward_drill_${m.id.slice(0, 15).toLowerCase()}_${randomBytes(3).toString('hex')}`;
    // Marked as pgward's drill while it exists: a killed run's scratch is found and dropped next time.
    scratch = await createOwnedDatabase(opts.serverUrl!, name, 'drill');
    url = withDatabase(opts.serverUrl!, name);
    setInto(`scratch database ${name} (dropped)`);
  }
  const signal = opts.signal;
  try {
    opts.onStep?.('restore', scratch?.name ?? databaseOf(url));
    // Owners and grants are left out: the drill proves data and schema, and the roles may not exist here.
    await pgRestore(tools, { conn: pgConn(url), path: archive.path, jobs, noOwner: true, signal });
    opts.onStep?.('compare');
    const stats = await abortable(
      parallelStats(url, m.tables, m.hashAlgorithm !== null, jobs),
      signal,
      'backup verify',
    );
    const diff = compareStats(m.tables, stats);
    if (diff) return { difference: diff.message, tablesChecked: stats.length };
    const smoke = await abortable(smokeQueries(url, m), signal, 'backup verify');
    if (smoke) return { difference: smoke, tablesChecked: stats.length };
    const fp = await abortable(withClient(url, schemaFingerprint), signal, 'backup verify');
    if (fp !== m.schemaFingerprint) {
      return {
        difference: 'schema fingerprint of the restored database differs from the backup',
        tablesChecked: stats.length,
      };
    }
    return { difference: null, tablesChecked: stats.length };
  } finally {
    if (scratch) {
      opts.onStep?.('cleanup', scratch.name);
      await scratch.drop();
    }
  }
}

/** Reads one row of every table: catches tables that count fine but cannot be read (e.g. broken types). */
async function smokeQueries(url: string, m: BackupManifest): Promise<string | null> {
  return withClient(url, async (c) => {
    for (const t of m.tables) {
      try {
        await c.query(`SELECT * FROM ${quoteIdent(t.schema)}.${quoteIdent(t.name)} LIMIT 1`);
      } catch (err) {
        return `table ${t.schema}.${t.name}: smoke query failed: ${(err as Error).message}`;
      }
    }
    return null;
  });
}

// Kept here for the modules that import it from verify; it lives with the owned-database marker now.
export { dropDatabase } from '../db/owned.js';

/** No relations, types or functions outside the system schemas (an empty `public` is fine). */
export async function isEmptyDatabase(url: string): Promise<boolean> {
  return withClient(url, async (c) => {
    const r = await c.query<{ n: string }>(`
      SELECT count(*)::text AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
        AND n.nspname NOT LIKE 'pg\\_temp%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`);
    return Number(r.rows[0]?.n ?? 0) === 0;
  });
}
