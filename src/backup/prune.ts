// backup prune: applies the retention plan and removes leftovers of failed backups. A backup is removed
// manifest first (so it stops being listed at once), archive second (a failure there leaves a leftover
// that the next prune removes, never a listed backup without its archive).
import { type CatalogFilter, filterBackups, readCatalog } from './catalog.js';
import { manifestKey } from './manifest.js';
import { planRetention, type RetentionDecision, type RetentionRules } from './retention.js';
import type { Storage, StoredObject } from './storage.js';

export interface PruneOptions {
  storage: Storage;
  rules: RetentionRules;
  filter?: CatalogFilter;
  dryRun?: boolean;
  /** Leftovers younger than this may belong to a backup still running; default 1 hour. */
  leftoverGraceMs?: number;
  now?: Date;
}

export interface PruneResult {
  dryRun: boolean;
  decisions: { id: string; startedAt: string; env: string | null; keep: boolean; rule: string }[];
  deleted: string[];
  leftovers: { key: string; size: number; removed: boolean; reason: string }[];
}

/**
 * What `pgward backup prune` does: applies the retention rules (dryRun: only decides).
 *
 * @example
 * ```ts
 * import { backupSettings, openStorage, pruneBackups } from 'pgward';
 * const s = backupSettings(undefined);
 * const r = await pruneBackups({ storage: await openStorage(s.storageUrl, s), rules: s.retention, dryRun: true });
 * console.log(r.decisions.filter((d) => !d.keep).map((d) => d.id));
 * ```
 */
export async function pruneBackups(opts: PruneOptions): Promise<PruneResult> {
  const now = opts.now ?? new Date();
  const grace = opts.leftoverGraceMs ?? 3_600_000;
  const catalog = await readCatalog(opts.storage);
  const plan: RetentionDecision[] = planRetention(
    filterBackups(catalog.backups, opts.filter ?? {}),
    opts.rules,
    now,
  );
  const deleted: string[] = [];
  for (const d of plan.filter((d) => !d.keep)) {
    if (opts.dryRun) continue;
    await opts.storage.delete(manifestKey(d.backup.id));
    await opts.storage.delete(d.backup.archive.key);
    deleted.push(d.backup.id);
  }
  const cutoff = new Date(now.getTime() - grace);
  const leftovers = catalog.leftovers.map((o: StoredObject) => {
    const old = o.modified <= cutoff;
    return {
      key: o.key,
      size: o.size,
      removed: old && !opts.dryRun,
      reason: old
        ? 'no manifest: failed or interrupted backup'
        : 'no manifest, but recent: may be a backup in progress',
    };
  });
  if (!opts.dryRun) {
    for (const l of leftovers.filter((l) => l.removed)) await opts.storage.delete(l.key);
    for (const key of await opts.storage.cleanupIncomplete(cutoff)) {
      leftovers.push({ key, size: 0, removed: true, reason: 'incomplete upload' });
    }
  }
  return {
    dryRun: opts.dryRun === true,
    decisions: plan.map((d) => ({
      id: d.backup.id,
      startedAt: d.backup.startedAt,
      env: d.backup.env,
      keep: d.keep,
      rule: d.rule,
    })),
    deleted,
    leftovers,
  };
}
