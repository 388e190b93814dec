// `pgward backup create --from render-export`: Render's newest logical export (or a named one) taken
// into pgward's catalog as a normal backup, so `backup verify` proves it like any other. The export (a
// pg_dump directory archive) is restored into a scratch database pgward owns, checked row for row against
// the counts read from the archive itself, then dumped by createBackup (custom format, exact counts in
// one snapshot, manifest written last under the catalog lease) and the scratch database dropped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackup } from '../../backup/create.js';
import type { BackupManifest } from '../../backup/manifest.js';
import { pgRestore } from '../../backup/pgrestore.js';
import { collectTableStats, listTables } from '../../backup/snapshot.js';
import type { Storage } from '../../backup/storage.js';
import { withClient } from '../../db/connect.js';
import { createOwnedDatabase } from '../../db/owned.js';
import { ExitCode, PgwardError } from '../../errors.js';
import { pgConn, withDatabase } from '../../pgtools/exec.js';
import { findPgTools } from '../../pgtools/pgbin.js';
import type { RenderClient } from './client.js';
import { type ArchiveTableCount, archiveRowCounts, downloadExport, unpackExport } from './export-archive.js';
import type { RenderExport } from './types.js';

export interface RenderExportBackupOptions {
  client: RenderClient;
  /** The Render Postgres (dpg-…). */
  postgresId: string;
  /** Take this export (as listed by Render) instead of creating a new one and waiting for it. */
  exportId?: string;
  env: string | undefined;
  storage: Storage;
  /** Server (admin URL) where the export is restored into a scratch database pgward owns and drops. */
  serverUrl: string;
  labels?: string[];
  pin?: boolean;
  hash?: boolean;
  compression?: string | undefined;
  /** Longest wait for a new export to be listed (default 60 min). */
  exportTimeoutMs?: number;
  onStep?: (step: 'export' | 'download' | 'read' | 'restore' | 'compare' | 'backup', detail: string) => void;
  signal?: AbortSignal;
}

export interface RenderExportBackupResult {
  manifest: BackupManifest;
  export: { id: string; createdAt: string; bytes: number };
  /** Row counts read from the archive's data files (they matched the restored copy). */
  archiveCounts: ArchiveTableCount[];
}

async function pickExport(o: RenderExportBackupOptions): Promise<RenderExport> {
  if (o.exportId) {
    const found = (await o.client.listExports(o.postgresId, o.signal)).find((e) => e.id === o.exportId);
    if (!found)
      throw new PgwardError(`Render export ${o.exportId} of ${o.postgresId} is not listed`, {
        hint: 'omit --export to take a new export, or pick an id from the Render dashboard',
      });
    return found;
  }
  o.onStep?.('export', `asking Render for a logical export of ${o.postgresId}`);
  return o.client.createAndWaitExport(o.postgresId, {
    ...(o.exportTimeoutMs !== undefined ? { timeoutMs: o.exportTimeoutMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

/** The restored copy must hold exactly the rows the archive's data files hold. */
async function compareWithArchive(url: string, counts: ArchiveTableCount[], what: string): Promise<void> {
  const restored = await withClient(url, async (c) => collectTableStats(c, await listTables(c), false));
  const inArchive = new Map(counts.map((t) => [key(t), t.rows]));
  for (const t of restored) {
    const expected = inArchive.get(key(t)) ?? 0;
    if (t.rows !== expected)
      throw new PgwardError(
        `${what}: table ${key(t)} has ${expected} rows in the archive but ${t.rows} once restored: not catalogued`,
        { exitCode: ExitCode.validationFailed },
      );
  }
}

/**
 * Takes a Render Postgres export into the backup catalog as a normal backup (then `verifyBackup` proves it).
 *
 * @example
 * ```ts
 * import { backupFromRenderExport, backupSettings, openStorage, RenderClient } from 'pgward';
 * const s = backupSettings(undefined);
 * const r = await backupFromRenderExport({
 *   client: new RenderClient({ apiKey: process.env.RENDER_API_KEY ?? '' }),
 *   postgresId: 'dpg-d0fq1b2dbo4c73b1a100-a',
 *   env: 'production',
 *   storage: await openStorage(s.storageUrl, s),
 *   serverUrl: 'postgresql://localhost/postgres',
 * });
 * console.log(r.manifest.id, r.export.id);
 * ```
 */
export async function backupFromRenderExport(
  o: RenderExportBackupOptions,
): Promise<RenderExportBackupResult> {
  const exp = await pickExport(o);
  const what = `Render export ${exp.id}`;
  if (!exp.url)
    throw new PgwardError(`${what} has no download url yet`, { hint: 'wait a minute and run again' });
  const work = mkdtempSync(join(tmpdir(), 'pgward-render-export-'));
  try {
    o.onStep?.('download', what);
    const bytes = await downloadExport(exp.url, join(work, 'export.tar.gz'), what, o.signal);
    const archiveDir = await unpackExport(join(work, 'export.tar.gz'), mkdtempSync(join(work, 'x-')), what);
    rmSync(join(work, 'export.tar.gz'), { force: true });
    const tools = await findPgTools(0, `to read ${what}`);
    o.onStep?.('read', `${what}: pg_restore --list and row counts of its data files`);
    const archiveCounts = await archiveRowCounts(tools, archiveDir, what);
    const database = (await o.client.getPostgres(o.postgresId, o.signal)).databaseName ?? o.postgresId;
    const manifest = await restoreAndCatalogue(o, {
      tools,
      archiveDir,
      archiveCounts,
      database,
      what,
      exportId: exp.id,
    });
    return { manifest, export: { id: exp.id, createdAt: exp.createdAt, bytes }, archiveCounts };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function restoreAndCatalogue(
  o: RenderExportBackupOptions,
  a: {
    tools: Awaited<ReturnType<typeof findPgTools>>;
    archiveDir: string;
    archiveCounts: ArchiveTableCount[];
    database: string;
    what: string;
    exportId: string;
  },
): Promise<BackupManifest> {
  const name = `pgward_render_export_${Date.now().toString(36)}`;
  const scratch = await createOwnedDatabase(o.serverUrl, name, 'restore');
  try {
    o.onStep?.('restore', `${a.what} into scratch database ${name}`);
    await pgRestore(a.tools, {
      conn: pgConn(o.serverUrl, name),
      path: a.archiveDir,
      jobs: 2,
      noOwner: true,
      signal: o.signal,
    });
    const url = withDatabase(o.serverUrl, name);
    o.onStep?.('compare', `${a.what}: restored rows against the archive's`);
    await compareWithArchive(url, a.archiveCounts, a.what);
    o.onStep?.('backup', `${a.what} into the catalog`);
    return await createBackup({
      url,
      env: o.env,
      storage: o.storage,
      reason: 'manual',
      labels: [
        ...(o.labels ?? []),
        'render-export',
        `render-export:${a.exportId}`,
        `render-postgres:${o.postgresId}`,
      ],
      pin: o.pin === true,
      hash: o.hash === true,
      database: a.database,
      ...(o.compression ? { compression: o.compression } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } finally {
    await scratch.drop().catch(() => scratch.release());
  }
}
