// Backups you can prove: the library behind `pgward backup ...`.

// The schema is zod's: exported from its own module so that reading backup settings does not load zod.
export { backupsSchema } from '../config/sections/backups.js';
export { findPgTools, type PgTools } from '../pgtools/pgbin.js';
export { archiveMismatch, type LocalArchive, localArchive } from './archive.js';
export { type Catalog, type CatalogFilter, findBackup, readCatalog, saveManifest } from './catalog.js';
export { type BackupSettings, backupSettings, type RawBackups } from './config.js';
export { type BackupProgress, type CreateBackupOptions, createBackup } from './create.js';
export { createBackupForTarget, type TargetBackupOptions } from './for-target.js';
export {
  BACKUP_REASONS,
  type BackupManifest,
  type BackupReason,
  type TableStat,
  type Verification,
} from './manifest.js';
export { type PruneOptions, type PruneResult, pruneBackups } from './prune.js';
export { type RestoreOptions, type RestoreResult, restoreBackup } from './restore.js';
export { drillPassed, planRetention, type RetentionDecision, type RetentionRules } from './retention.js';
export { openStorage, type Storage, type StorageOptions, type StoredObject } from './storage.js';
export type { S3Options } from './storage-s3.js';
export { type VerifyOptions, type VerifyResult, verifyBackup } from './verify.js';
