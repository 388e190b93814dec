// backup verify: (a) the archive's sha256 and size match the manifest, (b) pg_restore --list can read
// it, (c) the restore drill: restore into a scratch database, compare every table's count (and hash)
// with the manifest, read one row of every table. The outcome is written back into the manifest.
import { randomBytes } from 'node:crypto';
import { quoteIdent, withClient } from '../db/connect.js';
import { PgwardError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { archiveMismatch, type LocalArchive, localArchive } from './archive.js';
import { findBackup, saveManifest } from './catalog.js';
import { databaseOf, pgConn, withDatabase } from './exec.js';
import { addVerification, type BackupManifest, type Verification } from './manifest.js';
import { findPgTools } from './pgbin.js';
import { listArchive, parallelStats, pgRestore } from './pgrestore.js';
import { compareStats, schemaFingerprint } from './snapshot.js';
import type { Storage } from './storage.js';

export type VerifyStep = 'sha256' | 'list' | 'restore' | 'compare' | 'cleanup';

export interface VerifyOptions {
  storage: Storage;
  /** Backup id, unique prefix, or 'latest'. */
  ref: string;
  env?: string | undefined;
  /** A URL on the server where the scratch database is created (the environment's, by default). */
  serverUrl?: string | undefined;
  /** Restore into this (empty) database instead of a scratch one; it is left in place afterwards. */
  intoUrl?: string | undefined;
  /** Skip the drill: checksum and --list only. */
  drill?: boolean;
  jobs?: number;
  onStep?: (step: VerifyStep, detail?: string) => void;
}

export interface VerifyResult extends Verification {
  id: string;
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
  if (drill && !opts.serverUrl && !opts.intoUrl) {
    throw new PgwardError('the restore drill needs a server', {
      hint: 'pass --env, --url or --into <url>, or --no-drill',
    });
  }
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
  try {
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
    if (!(err instanceof PgwardError)) throw err;
    firstDifference = [err.message, ...err.details].join(' — ');
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
  // Written back even when it failed: the catalog shows the last drill's outcome either way.
  await saveManifest(opts.storage, addVerification(manifest, v));
  return { id: manifest.id, ...v };
}

async function runDrill(
  m: BackupManifest,
  archive: LocalArchive,
  opts: VerifyOptions,
  setInto: (name: string) => void,
): Promise<{ difference: string | null; tablesChecked: number }> {
  const tools = await findPgTools(m.pgDump.major, `to restore backup ${m.id}`);
  const jobs = opts.jobs ?? 2;
  let url: string;
  let scratch: string | undefined;
  if (opts.intoUrl) {
    url = opts.intoUrl;
    if (!(await isEmptyDatabase(url))) {
      throw new PgwardError(
        `--into ${redactUrl(url)} is not empty: the drill restores only into an empty database`,
      );
    }
  } else {
    scratch = `pgward_drill_${m.id.slice(0, 15).toLowerCase()}_${randomBytes(3).toString('hex')}`;
    await withClient(opts.serverUrl!, (c) => c.query(`CREATE DATABASE ${quoteIdent(scratch!)}`));
    url = withDatabase(opts.serverUrl!, scratch);
    setInto(`scratch database ${scratch} (dropped)`);
  }
  try {
    opts.onStep?.('restore', scratch ?? databaseOf(url));
    // Owners and grants are left out: the drill proves data and schema, and the roles may not exist here.
    await pgRestore(tools, { conn: pgConn(url), path: archive.path, jobs, noOwner: true });
    opts.onStep?.('compare');
    const stats = await parallelStats(url, m.tables, m.hashAlgorithm !== null, jobs);
    const diff = compareStats(m.tables, stats);
    if (diff) return { difference: diff.message, tablesChecked: stats.length };
    const smoke = await smokeQueries(url, m);
    if (smoke) return { difference: smoke, tablesChecked: stats.length };
    const fp = await withClient(url, schemaFingerprint);
    if (fp !== m.schemaFingerprint) {
      return {
        difference: 'schema fingerprint of the restored database differs from the backup',
        tablesChecked: stats.length,
      };
    }
    return { difference: null, tablesChecked: stats.length };
  } finally {
    if (scratch) {
      opts.onStep?.('cleanup', scratch);
      await dropDatabase(opts.serverUrl!, scratch);
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

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, async (c) => {
    const v = Number(
      (await c.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]?.n,
    );
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${v >= 130000 ? ' WITH (FORCE)' : ''}`);
  });
}

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
