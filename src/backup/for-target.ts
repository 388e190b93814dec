// One call for callers that already resolved an environment (migrate's backup_before_migrate, the
// demo): settings and storage from pgward.yaml, then createBackup. Throws on any failure.

import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import type { Target } from '../config/target.js';
import { appName, connect } from '../db/connect.js';
import { type IdentifiedTarget, identifyForWrite } from '../identity/identify.js';
import { warmPgTools } from '../pgtools/pgbin.js';
import { backupSettings } from './config.js';
import { type CreateBackupOptions, createBackup } from './create.js';
import type { BackupManifest, BackupReason } from './manifest.js';
import { openStorage } from './storage.js';

export interface TargetBackupOptions {
  config: LoadedConfig | undefined;
  target: Target;
  reason?: BackupReason;
  labels?: string[];
  pin?: boolean;
  /** Overrides backups.storage. */
  storage?: string;
  /** Also record per-table content hashes (in addition to backups.hash). */
  hash?: boolean;
  /** Told which environment the backup is catalogued as, once the database is identified. */
  onIdentified?: (target: IdentifiedTarget) => void;
  onProgress?: CreateBackupOptions['onProgress'];
  signal?: AbortSignal;
}

/**
 * What `pgward backup create` does: a pg_dump archive and its manifest, in the configured storage.
 *
 * @example
 * ```ts
 * import { createBackupForTarget, resolveProject } from 'pgward';
 * const { target, config } = await resolveProject({ env: 'production' });
 * const manifest = await createBackupForTarget({ config, target, reason: 'manual' });
 * console.log(manifest.id);
 * ```
 */
export async function createBackupForTarget(o: TargetBackupOptions): Promise<BackupManifest> {
  const s = backupSettings(o.config, o.storage);
  const storage = await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 });
  warmPgTools();
  // The counting connection opens while the database is identified on the first one.
  const counter = connect(o.target.url, { applicationName: appName('backup counts') });
  counter.catch(() => {}); // awaited (and its failure reported) by createBackup
  let identification: Awaited<ReturnType<typeof identified>> | undefined;
  try {
    identification = await identified(o);
    o.onIdentified?.(identification.target);
  } catch (err) {
    await identification?.session?.end().catch(() => {});
    await counter.then((c) => c.end()).catch(() => {});
    throw err;
  }
  const { target, session } = identification;
  // From here createBackup owns (and closes) both connections.
  return createBackup({
    session,
    counter,
    url: target.url,
    env: target.env,
    pooler: target.pooler,
    storage,
    reason: o.reason ?? 'manual',
    labels: o.labels ?? [],
    pin: o.pin === true,
    hash: o.hash === true || s.hash,
    compression: s.compression,
    onProgress: o.onProgress,
    signal: o.signal,
  });
}

/**
 * The catalog entry's environment is the one the database really is (any URL spelling of production is
 * catalogued as production); a backup is a write command, so the named environment is stamped.
 */
async function identified(
  o: TargetBackupOptions,
): Promise<{ target: IdentifiedTarget; session?: pg.Client }> {
  if ('identification' in o.target) return { target: o.target as IdentifiedTarget };
  // The connection that identified the database is the one whose snapshot is dumped: what was
  // identified is exactly what is backed up, and pg_dump starts one connection sooner.
  const session = await connect(o.target.url, { applicationName: appName('backup snapshot') });
  try {
    return { target: await identifyForWrite(session, o.target, { config: o.config }), session };
  } catch (err) {
    await session.end().catch(() => {});
    throw err;
  }
}
