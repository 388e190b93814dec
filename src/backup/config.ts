// The `backups:` section of pgward.yaml and its resolution into library options.
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import type { LoadedConfig } from '../config/load.js';
import type { RetentionRules } from './retention.js';
import type { S3Options } from './storage-s3.js';

/** Fixed multipart part size: 16 MiB allows archives up to ~160 GB within S3's 10,000-part limit. */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

const duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  try {
    parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});
const count = z.number().int().min(0).max(100_000);
const SIZE = /^(\d+)\s*(MiB|MB|M|GiB|GB|G)?$/i;

export const backupsSchema = z
  .object({
    /** file://<dir> (relative to pgward.yaml) or s3://bucket/prefix. Default: file://.pgward/backups */
    storage: z
      .string()
      .regex(/^(file|s3):\/\/.+/, 'must be file://<dir> or s3://bucket/prefix')
      .optional(),
    /** Record a per-table content hash with every backup (costs a full read of each table). */
    hash: z.boolean().optional(),
    /** pg_dump --compress value, e.g. 6, gzip:6, zstd:3 (PG16+), none. */
    compression: z.union([z.string(), z.number()]).optional(),
    retention: z
      .object({
        keep_last: count.optional(),
        keep_daily: count.optional(),
        keep_weekly: count.optional(),
        keep_monthly: count.optional(),
        max_age: duration.optional(),
        keep_pre_migrate_days: count.optional(),
        /** Objects without a manifest younger than this may be a backup in progress; prune leaves them. */
        leftover_grace: duration.optional(),
      })
      .strict()
      .optional(),
    s3: z
      .object({
        endpoint: z.string().url().optional(),
        region: z.string().min(1).optional(),
        force_path_style: z.boolean().optional(),
        sse: z.enum(['AES256', 'aws:kms']).optional(),
        kms_key_id: z.string().min(1).optional(),
        part_size: z.union([z.number().int(), z.string().regex(SIZE, 'a size such as 16MiB')]).optional(),
        queue_size: z.number().int().min(1).max(16).optional(),
      })
      .strict()
      .optional(),
    restore: z
      .object({
        jobs: z.number().int().min(1).max(64).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type RawBackups = z.infer<typeof backupsSchema>;

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
