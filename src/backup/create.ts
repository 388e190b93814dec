// backup create: one consistent snapshot, exported by a REPEATABLE READ transaction, shared by pg_dump
// (--snapshot) and by a second connection that counts (and hashes) every table while the dump streams
// to storage. The manifest is written last, so a failure at any step leaves nothing that looks complete.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import type pg from 'pg';
import { appName, connect } from '../db/connect.js';
import { PgwardError } from '../errors.js';
import { exited, pgConn, programFailure, TailBuffer } from '../pgtools/exec.js';
import { findPgTools } from '../pgtools/pgbin.js';
import { PGWARD_VERSION } from '../version.js';
import { publishManifest } from './catalog.js';
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

export interface BackupProgress {
  phase: 'dump';
  bytes: number;
  elapsedMs: number;
  /** Table whose data pg_dump is copying (from its --verbose log). */
  table: string | null;
  tablesCounted: number;
  tablesTotal: number;
}

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
}

const VERBOSE_LINE =
  /^pg_dump: (dumping|reading|identifying|finding|flagging|saving|processing|last built-in|creating|executing|started|finished|setting owner)/;

/** Takes a backup and returns its manifest once published; throws (leaving nothing listed) on any failure. */
export async function createBackup(opts: CreateBackupOptions): Promise<BackupManifest> {
  const started = new Date();
  const id = newBackupId(started);
  const exporter = await connect(opts.url, { applicationName: appName('backup snapshot') });
  let counter: pg.Client | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const info = (
      await exporter.query<{ v: string; n: string; db: string }>(
        "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n, current_database() AS db",
      )
    ).rows[0]!;
    const serverMajor = Math.floor(Number(info.n) / 10000);
    const tools = await findPgTools(serverMajor, `to dump this PostgreSQL ${info.v} server`);

    await exporter.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const snapshot = (await exporter.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    const [tables, fingerprint, latest] = [
      await listTables(exporter),
      await schemaFingerprint(exporter),
      await latestMigration(exporter),
    ];

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
    let currentTable: string | null = null;
    const stderr = new TailBuffer(40, (line) => {
      const m = /dumping contents of table "?([^"]+)"?/.exec(line);
      if (m) currentTable = m[1] ?? null;
    });
    child = spawn(tools.pgDump, args, {
      env: conn.env,
      stdio: ['ignore', local ? 'ignore' : 'pipe', 'pipe'],
    });
    const proc = child;
    proc.stderr!.on('data', (d: Buffer) => stderr.push(d));
    const exit = exited(proc);

    const hash = createHash('sha256');
    let bytes = 0;
    let counted = 0;
    let lastReport = 0;
    const report = (force = false) => {
      const now = Date.now();
      if (!opts.onProgress || (!force && now - lastReport < 200)) return;
      lastReport = now;
      opts.onProgress({
        phase: 'dump',
        bytes,
        elapsedMs: now - started.getTime(),
        table: currentTable,
        tablesCounted: counted,
        tablesTotal: tables.length,
      });
    };
    // The stream only ends cleanly once pg_dump has exited 0: a dump that died must never be published,
    // even though its stdout reached EOF.
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        report();
        cb(null, chunk);
      },
      flush(cb) {
        exit.then((r) => cb(r.code === 0 ? null : dumpFailure(r)));
      },
    });
    const dumpFailure = (r: { code: number | null; signal: NodeJS.Signals | null }) => {
      const text = stderr.text((l) => !VERBOSE_LINE.test(l));
      if (/no space left on device/i.test(text)) {
        return new PgwardError(
          `cannot write ${opts.storage.url}/${archiveKey(id)}: no space left on device`,
          {
            details: text.split('\n').slice(-5),
            hint: 'free space or point backups.storage elsewhere',
          },
        );
      }
      return programFailure('pg_dump', r, text);
    };
    let upload: Promise<void>;
    if (local) {
      // A stat still in flight when polling stops must not overwrite the byte count measured below
      // (the manifest's size would then differ from the archive's).
      let polling = true;
      const poll = setInterval(() => {
        stat(local.path).then(
          (st) => {
            if (!polling) return;
            bytes = st.size;
            report();
          },
          () => {},
        );
      }, 250);
      upload = exit.then(async (r) => {
        polling = false;
        clearInterval(poll);
        try {
          if (r.code !== 0) throw dumpFailure(r);
          bytes = 0;
          for await (const chunk of createReadStream(local.path)) {
            hash.update(chunk as Buffer);
            bytes += (chunk as Buffer).length;
          }
          await local.publish();
        } catch (err) {
          await local.discard();
          throw err;
        }
      });
    } else {
      proc.stdout!.pipe(meter);
      upload = opts.storage.upload(archiveKey(id), meter);
    }
    // Settles only after the storage has cleaned up (partial file removed, multipart aborted).
    const uploadSettled = upload.then(
      () => {},
      () => {},
    );
    try {
      return await finish();
    } catch (err) {
      proc.kill('SIGTERM');
      await uploadSettled;
      // An archive that did get stored (e.g. counting failed after the dump) must not outlive the failure.
      if (
        await upload.then(
          () => true,
          () => false,
        )
      )
        await opts.storage.delete(archiveKey(id)).catch(() => {});
      throw err;
    }

    async function finish(): Promise<BackupManifest> {
      counter = await connect(opts.url, { applicationName: appName('backup counts') });
      const countClient = counter;
      await countClient.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await countClient.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
      const counting = collectTableStats(countClient, tables, opts.hash === true, () => {
        counted++;
        report();
      });

      const onAbort = () => proc.kill('SIGTERM');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      let stats: TableStat[];
      try {
        // Whichever fails first wins: a storage error kills pg_dump; a pg_dump error fails the upload.
        const [, s] = await Promise.all([
          upload.catch((err) => {
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
        await exit;
        if (opts.signal?.aborted) throw new PgwardError('backup interrupted: nothing was published');
        throw err;
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
      }
      report(true);
      await countClient.query('COMMIT');
      await exporter.query('COMMIT');

      const finished = new Date();
      const manifest: BackupManifest = {
        format: MANIFEST_FORMAT,
        id,
        env: opts.env ?? null,
        database: info.db,
        server: { version: info.v, versionNum: Number(info.n) },
        pgDump: { version: tools.version, major: tools.major },
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - started.getTime(),
        archive: {
          key: archiveKey(id),
          bytes,
          sha256: hash.digest('hex'),
          format: 'custom',
          compression: opts.compression ?? 'default',
        },
        reason: opts.reason ?? 'manual',
        labels: opts.labels ?? [],
        pinned: opts.pin === true,
        schemaFingerprint: fingerprint,
        latestMigration: latest,
        hashAlgorithm: opts.hash ? HASH_ALGORITHM : null,
        tables: stats,
        verification: null,
        verifications: [],
        pgwardVersion: PGWARD_VERSION,
      };
      try {
        await publishManifest(opts.storage, manifest);
      } catch (err) {
        await opts.storage.delete(archiveKey(id)).catch(() => {});
        throw err;
      }
      return manifest;
    }
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await counter?.end().catch(() => {});
    await exporter.end().catch(() => {});
  }
}
