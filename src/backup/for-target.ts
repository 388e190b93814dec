// One call for callers that already resolved an environment (migrate's backup_before_migrate, the
// demo): settings and storage from pgward.yaml, then createBackup. Throws on any failure.
import type { LoadedConfig } from '../config/load.js';
import type { Target } from '../config/target.js';
import { withClient } from '../db/connect.js';
import { type IdentifiedTarget, identifyForWrite } from '../identity/identify.js';
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
  const target = await identified(o);
  o.onIdentified?.(target);
  return createBackup({
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
async function identified(o: TargetBackupOptions): Promise<IdentifiedTarget> {
  if ('identification' in o.target) return o.target as IdentifiedTarget;
  return withClient(o.target.url, (c) => identifyForWrite(c, o.target, { config: o.config }));
}
