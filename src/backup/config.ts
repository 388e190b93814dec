// The `backups:` section of pgward.yaml (schema: src/config/sections/backups.ts) resolved into library options.
import { parseDuration } from '../config/duration.js';
import type { LoadedConfig } from '../config/load.js';
import type { RawBackups } from '../config/sections/backups.js';
import { SIZE } from '../config/size.js';
import type { RetentionRules } from './retention.js';
import type { S3Options } from './storage-s3.js';

/** Fixed multipart part size: 16 MiB allows archives up to ~160 GB within S3's 10,000-part limit. */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

export type { RawBackups } from '../config/sections/backups.js';

export interface BackupSettings {
  storageUrl: string;
  baseDir: string;
  hash: boolean;
  compression: string | undefined;
  retention: RetentionRules;
  leftoverGraceMs: number;
  s3: S3Options;
  restoreJobs: number;
}

function parseSize(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const m = SIZE.exec(v.trim())!;
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit.startsWith('g') ? 1024 ** 3 : unit.startsWith('m') ? 1024 ** 2 : 1;
  return Number(m[1]) * mult;
}

/**
 * Settings from pgward.yaml (if any) with defaults; `storage` overrides the configured storage URL.
 *
 * @example
 * ```ts
 * import { backupSettings, openStorage } from 'pgward';
 * const s = backupSettings(undefined);
 * const storage = await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 });
 * ```
 */
export function backupSettings(config: LoadedConfig | undefined, storage?: string): BackupSettings {
  const raw = (config?.raw as { backups?: RawBackups } | undefined)?.backups ?? {};
  const r = raw.retention ?? {};
  return {
    storageUrl: storage ?? raw.storage ?? 'file://.pgward/backups',
    baseDir: config?.baseDir ?? process.cwd(),
    hash: raw.hash ?? false,
    compression: raw.compression === undefined ? undefined : String(raw.compression),
    retention: {
      keepLast: r.keep_last,
      keepDaily: r.keep_daily,
      keepWeekly: r.keep_weekly,
      keepMonthly: r.keep_monthly,
      maxAgeMs: r.max_age !== undefined ? parseDuration(r.max_age) : null,
      keepPreMigrateDays: r.keep_pre_migrate_days,
    },
    leftoverGraceMs: r.leftover_grace !== undefined ? (parseDuration(r.leftover_grace) ?? 0) : 3_600_000,
    s3: {
      endpoint: raw.s3?.endpoint,
      region: raw.s3?.region,
      forcePathStyle: raw.s3?.force_path_style,
      sse: raw.s3?.sse,
      kmsKeyId: raw.s3?.kms_key_id,
      partSize: parseSize(raw.s3?.part_size) ?? DEFAULT_PART_SIZE,
      queueSize: raw.s3?.queue_size,
    },
    restoreJobs: raw.restore?.jobs ?? 2,
  };
}
