// backup create: one consistent snapshot, exported by a REPEATABLE READ transaction, shared by pg_dump
// (--snapshot) and by a second connection that counts (and hashes) every table while the dump streams
// to storage. The manifest is written last, so a failure at any step leaves nothing that looks complete.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import type pg from 'pg';
import type { PoolerSetting } from '../config/target.js';
import { appName, connect } from '../db/connect.js';
import { assertSessionHolds, sessionOf } from '../db/pooler.js';
import { PgwardError } from '../errors.js';
import { exited, pgConn, programFailure, TailBuffer } from '../pgtools/exec.js';
import { findPgTools, type PgTools, warmPgTools } from '../pgtools/pgbin.js';
import { PGWARD_VERSION } from '../version.js';
import { publishManifest as publishUnderLease } from './catalog.js';
import { type ExitResult, meteredStdout, storeLocalFile } from './dump-output.js';
import type { BackupProgress } from './dump-progress.js';
import { DumpProgress } from './dump-progress.js';
import {
  archiveKey,
  type BackupManifest,
  type BackupReason,
  MANIFEST_FORMAT,
  newBackupId,
  type TableStat,
} from './manifest.js';
import {
  collectTableStats,
  HASH_ALGORITHM,
  latestMigration,
  listTables,
  schemaFingerprint,
} from './snapshot.js';
import type { Storage } from './storage.js';

export type { BackupProgress };

export interface CreateBackupOptions {
  url: string;
  env?: string | undefined;
  storage: Storage;
  reason?: BackupReason;
  labels?: string[];
  pin?: boolean;
  /** Also record a per-table content hash (a full read of every table, in parallel with the dump). */
  hash?: boolean;
  /** pg_dump -Z value (e.g. "gzip:6", "zstd:3" on PG16+); default: pg_dump's own default (gzip). */
  compression?: string;
  onProgress?: (p: BackupProgress) => void;
  signal?: AbortSignal;
  /** The database name the manifest records (default: the dumped one); a Render export is dumped from its restored copy. */
  database?: string;
  /** What is in front of the URL (pgward.yaml `pooler:`); a backup refuses a transaction pooler. */
  pooler?: PoolerSetting | undefined;
  /**
   * An open connection to `url`, idle and outside a transaction (e.g. the one that identified the
   * database), which the backup adopts as its snapshot session and closes: one connection fewer before
   * pg_dump can start.
   */
  session?: pg.Client;
  /** A connection to `url` being opened for the counts (adopted and closed, like `session`). */
  counter?: Promise<pg.Client>;
}

const VERBOSE_LINE =
  /^pg_dump: (dumping|reading|identifying|finding|flagging|saving|processing|last built-in|creating|executing|started|finished|setting owner)/;

/** The consistent view the backup is taken in: the exported snapshot and what was read in it. */
interface SnapshotView {
  snapshot: string;
  tables: { schema: string; name: string }[];
  fingerprint: string;
  latest: Awaited<ReturnType<typeof latestMigration>>;
}

/** The running pg_dump and the archive it is writing to storage. */
interface RunningDump {
  proc: ChildProcess;
  exit: Promise<ExitResult>;
  /** Settles when the archive is stored (or has failed and been cleaned up). */
  upload: Promise<void>;
  /** sha256 of the archive's bytes as stored. */
  hash: Hash;
}

/**
 * Takes a backup and returns its manifest once published; throws (leaving nothing listed) on any failure.
 * pg_dump starts as soon as the snapshot is exported: the tool probes and the counting connection are
 * set up while the first connection opens, the schema fingerprint is read while pg_dump runs.
 */
export async function createBackup(opts: CreateBackupOptions): Promise<BackupManifest> {
  const started = new Date();
  const id = newBackupId(started);
  warmPgTools();
  const held: { counter?: pg.Client; child?: ChildProcess } = {};
  const counter = (opts.counter ?? connect(opts.url, { applicationName: appName('backup counts') })).then(
    (c) => {
      held.counter = c;
      return c;
    },
  );
  counter.catch(() => {}); // awaited (and its failure reported) once counting starts
  try {
    const exporter =
      opts.session ?? (await connect(opts.url, { applicationName: appName('backup snapshot') }));
    try {
      return await takeBackup(opts, id, started, exporter, counter, held);
    } finally {
      await exporter.end().catch(() => {});
    }
  } finally {
    const child = held.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await counter.then((c) => c.end()).catch(() => {});
  }
}

async function takeBackup(
  opts: CreateBackupOptions,
  id: string,
  started: Date,
  exporter: pg.Client,
  counter: Promise<pg.Client>,
  held: { child?: ChildProcess },
): Promise<BackupManifest> {
  // The counting connection, still idle, is the pooler probe's second client.
  await assertSessionHolds(
    exporter,
    sessionOf(opts),
    'a backup (pg_dump in the snapshot this session exports)',
    counter,
  );
  const info = await serverInfo(exporter);
  const tools = await findPgTools(
    Math.floor(Number(info.n) / 10000),
    `to dump this PostgreSQL ${info.v} server`,
  );
  const snapshot = await exportSnapshot(exporter);
  const progress = new DumpProgress(opts.onProgress, started);
  const dump = await startDump(opts, id, tools, snapshot, progress, held);
  try {
    // Read in the same snapshot on the exporting connection while pg_dump runs.
    const tables = await listTables(exporter);
    progress.tablesTotal = tables.length;
    const rest = Promise.all([schemaFingerprint(exporter), latestMigration(exporter)]);
    rest.catch(() => {});
    const stats = await countWhileDumping(opts, { snapshot, tables }, dump, progress, counter, rest);
    const [fingerprint, latest] = await rest;
    await exporter.query('COMMIT');
    const view: SnapshotView = { snapshot, tables, fingerprint, latest };
    const manifest = manifestOf(opts, { id, started, info, tools, view, dump, bytes: progress.bytes, stats });
    await publishManifest(opts.storage, manifest);
    return manifest;
  } catch (err) {
    await discardArchive(opts.storage, id, dump);
    throw err;
  }
}

type ServerInfo = { v: string; n: string; db: string };

async function serverInfo(exporter: pg.Client): Promise<ServerInfo> {
  return (
    await exporter.query<ServerInfo>(
      "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n, current_database() AS db",
    )
  ).rows[0]!;
}

/** Opens the REPEATABLE READ transaction whose snapshot pg_dump and the counter share. */
async function exportSnapshot(exporter: pg.Client): Promise<string> {
  await exporter.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  return (await exporter.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
}

/** Starts pg_dump in the snapshot and stores the archive it writes (streamed, or a local file). */
async function startDump(
  opts: CreateBackupOptions,
  id: string,
  tools: PgTools,
  snapshot: string,
  progress: DumpProgress,
  held: { child?: ChildProcess },
): Promise<RunningDump> {
  // pg_dump streams the archive; the password goes through the environment, never argv.
  const conn = pgConn(opts.url);
  const args = [
    '--format=custom',
    `--snapshot=${snapshot}`,
    '--verbose',
    '--no-password',
    `--dbname=${conn.url}`,
  ];
  if (opts.compression) args.push(`--compress=${opts.compression}`);
  // Local storage: pg_dump writes the file itself (a seekable file gets data offsets, which parallel
  // restore needs). Remote storage: its stdout is streamed, so no full local copy is ever made.
  const local = opts.storage.localWriter?.(archiveKey(id));
  if (local) {
    await local.prepare();
    args.push(`--file=${local.path}`);
  }
  const stderr = new TailBuffer(40, (line) => {
    const m = /dumping contents of table "?([^"]+)"?/.exec(line);
    if (m) progress.table = m[1] ?? null;
  });
  const proc = spawn(tools.pgDump, args, {
    env: conn.env,
    stdio: ['ignore', local ? 'ignore' : 'pipe', 'pipe'],
  });
  held.child = proc;
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const exit = exited(proc);
  const hash = createHash('sha256');
  const failure = (r: ExitResult) => dumpFailure(opts.storage, id, stderr, r);
  const upload = local
    ? storeLocalFile(local, exit, hash, progress, failure)
    : opts.storage.upload(archiveKey(id), meteredStdout(proc, exit, hash, progress, failure));
  return { proc, exit, upload, hash };
}

function dumpFailure(storage: Storage, id: string, stderr: TailBuffer, r: ExitResult): Error {
  const text = stderr.text((l) => !VERBOSE_LINE.test(l));
  if (/no space left on device/i.test(text)) {
    return new PgwardError(`cannot write ${storage.url}/${archiveKey(id)}: no space left on device`, {
      details: text.split('\n').slice(-5),
      hint: 'free space or point backups.storage elsewhere',
    });
  }
  return programFailure('pg_dump', r, text);
}

/**
 * Counts (and hashes) every table in the same snapshot while the archive is stored. Whichever fails
 * first wins: a storage error kills pg_dump; a pg_dump error fails the upload; an interrupt kills it.
 */
async function countWhileDumping(
  opts: CreateBackupOptions,
  view: Pick<SnapshotView, 'snapshot' | 'tables'>,
  dump: RunningDump,
  progress: DumpProgress,
  counter: Promise<pg.Client>,
  alsoReading: Promise<unknown>,
): Promise<TableStat[]> {
  const { proc } = dump;
  const countClient = await counter.catch((err) => {
    proc.kill('SIGTERM');
    throw err;
  });
  await countClient.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  await countClient.query(`SET TRANSACTION SNAPSHOT '${view.snapshot.replace(/'/g, "''")}'`);
  // pg_dump's compression takes a core for the whole dump: parallel workers for the counts would take
  // it from under pg_dump (measured: the dump's wall time grew by up to 0.8 s on 2 cores), while one
  // backend counting beside it still finishes first (a count reads what COPY also has to format).
  await countClient.query('SET LOCAL max_parallel_workers_per_gather = 0');
  const counting = collectTableStats(countClient, view.tables, opts.hash === true, () => {
    progress.counted++;
    progress.report();
  });
  const onAbort = () => proc.kill('SIGTERM');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let stats: TableStat[];
  try {
    const [, , s] = await Promise.all([
      dump.upload.catch((err) => {
        proc.kill('SIGTERM');
        throw err;
      }),
      alsoReading.catch((err) => {
        proc.kill('SIGTERM');
        throw err;
      }),
      counting.catch((err) => {
        proc.kill('SIGTERM');
        throw new PgwardError(`counting rows in the backup snapshot failed: ${(err as Error).message}`);
      }),
    ]);
    stats = s;
  } catch (err) {
    await dump.exit;
    if (opts.signal?.aborted) throw new PgwardError('backup interrupted: nothing was published');
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  progress.report(true);
  await countClient.query('COMMIT');
  return stats;
}

interface Taken {
  id: string;
  started: Date;
  info: ServerInfo;
  tools: PgTools;
  view: SnapshotView;
  dump: RunningDump;
  bytes: number;
  stats: TableStat[];
}

function manifestOf(opts: CreateBackupOptions, t: Taken): BackupManifest {
  const finished = new Date();
  return {
    format: MANIFEST_FORMAT,
    id: t.id,
    env: opts.env ?? null,
    database: opts.database ?? t.info.db,
    server: { version: t.info.v, versionNum: Number(t.info.n) },
    pgDump: { version: t.tools.version, major: t.tools.major },
    startedAt: t.started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - t.started.getTime(),
    archive: {
      key: archiveKey(t.id),
      bytes: t.bytes,
      sha256: t.dump.hash.digest('hex'),
      format: 'custom',
      compression: opts.compression ?? 'default',
    },
    reason: opts.reason ?? 'manual',
    labels: opts.labels ?? [],
    pinned: opts.pin === true,
    schemaFingerprint: t.view.fingerprint,
    latestMigration: t.view.latest,
    hashAlgorithm: opts.hash ? HASH_ALGORITHM : null,
    tables: t.stats,
    verification: null,
    verifications: [],
    pgwardVersion: PGWARD_VERSION,
  };
}

/** The manifest is written last: only then does the backup exist. An unwritable one takes the archive. */
async function publishManifest(storage: Storage, manifest: BackupManifest): Promise<void> {
  try {
    // Under the catalog lease, and only while the archive written is still there (see catalog.ts).
    await publishUnderLease(storage, manifest);
  } catch (err) {
    await storage.delete(archiveKey(manifest.id)).catch(() => {});
    throw err;
  }
}

/** After a failure: pg_dump stopped, storage cleaned up, and an archive that did get stored deleted. */
async function discardArchive(storage: Storage, id: string, dump: RunningDump): Promise<void> {
  dump.proc.kill('SIGTERM');
  // Settles only after the storage has cleaned up (partial file removed, multipart aborted).
  const stored = await dump.upload.then(
    () => true,
    () => false,
  );
  // An archive that did get stored (e.g. counting failed after the dump) must not outlive the failure.
  if (stored) await storage.delete(archiveKey(id)).catch(() => {});
}
