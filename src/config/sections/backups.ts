// The `backups:` section of pgward.yaml (docs/configuration-backups.md). Schemas live in src/config so
// the whole file is validated in one place without src/config importing a capability (that was a loop);
// src/backup/config.ts turns the section into BackupSettings.
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { SIZE } from '../size.js';

const duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  try {
    parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});
const count = z.number().int().min(0).max(100_000);

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
