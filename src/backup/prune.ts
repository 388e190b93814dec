// backup prune: applies the retention plan and removes leftovers of failed backups. It deletes only
// what it has proven deletable: a manifest it cannot read keeps its archive; any storage error is
// reported and makes the run fail; and every delete is re-checked under the catalog lease just before
// it happens (the backup may have been pinned or proven since the plan, or the backup that made it
// redundant may be gone). A backup is removed manifest first (so it stops being listed at once),
// archive second (a failure there leaves a leftover that the next prune removes).
import { type Catalog, type CatalogFilter, filterBackups, readCatalog } from './catalog.js';
import { withLease } from './lease.js';
import { archiveKey, type BackupManifest, manifestKey, parseManifest } from './manifest.js';
import {
  drillPassed,
  planRetention,
  type RetentionDecision,
  type RetentionRules,
  seriesKey,
} from './retention.js';
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
  /** False when anything could not be read, checked or deleted: the run must be seen as failed. */
  ok: boolean;
  dryRun: boolean;
  decisions: { id: string; startedAt: string; env: string | null; keep: boolean; rule: string }[];
  deleted: string[];
  /** Planned deletions vetoed by the re-check just before deleting. */
  skipped: { id: string; reason: string }[];
  leftovers: { key: string; size: number; removed: boolean; reason: string }[];
  /** Unreadable manifests and failed storage operations; each kept what it concerned. */
  errors: { key: string; error: string }[];
}

const message = (err: unknown) => (err as Error).message;

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
  const { storage } = opts;
  const catalog = await readCatalog(storage);
  const missing = new Set(catalog.missingArchives);
  // A drill-proven backup whose archive is gone proves nothing: it must not be the one kept as proven.
  const proven = (m: BackupManifest) => drillPassed(m) && !missing.has(m.id);
  const plan = planRetention(filterBackups(catalog.backups, opts.filter ?? {}), opts.rules, now, proven);
  const errors = catalog.unreadable.map((u) => ({ key: u.key, error: u.error }));
  const deleted: string[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const d of plan.filter((d) => !d.keep)) {
    if (opts.dryRun) continue;
    const outcome = await deleteRechecked(storage, d.backup, catalog, proven).catch((err) => ({
      error: message(err),
    }));
    if ('deleted' in outcome) deleted.push(d.backup.id);
    else if ('skip' in outcome) skipped.push({ id: d.backup.id, reason: outcome.skip });
    else errors.push({ key: manifestKey(d.backup.id), error: outcome.error });
  }
  const leftovers = await removeLeftovers(storage, catalog.leftovers, now, grace, opts.dryRun, errors);
  return {
    ok: errors.length === 0,
    dryRun: opts.dryRun === true,
    decisions: plan.map((d: RetentionDecision) => ({
      id: d.backup.id,
      startedAt: d.backup.startedAt,
      env: d.backup.env,
      keep: d.keep,
      rule: d.rule,
    })),
    deleted,
    skipped,
    leftovers,
    errors,
  };
}

type DeleteOutcome = { deleted: true } | { skip: string } | { error: string };

/** Deletes one planned backup under the lease, after re-reading it (and its keeper) from storage. */
async function deleteRechecked(
  storage: Storage,
  planned: BackupManifest,
  catalog: Catalog,
  proven: (m: BackupManifest) => boolean,
): Promise<DeleteOutcome> {
  return withLease(storage, 'pruning', async (lease): Promise<DeleteOutcome> => {
    const text = await storage.getText(manifestKey(planned.id));
    if (text === null) return { skip: 'already removed (another prune?)' };
    const fresh = parseManifest(text, planned.id);
    if (fresh.pinned) return { skip: 'pinned since the plan was made' };
    // Proven = drill passed AND archive stored: a phantom (manifest whose archive is gone) may go.
    const stillProven = drillPassed(fresh) && (await storage.stat(archiveKey(planned.id))) !== null;
    if (stillProven && !(await newerProvenConfirmed(storage, fresh, catalog, proven))) {
      return { skip: 'its restore drill passed and no newer proven backup could be re-confirmed' };
    }
    lease.assertHeld();
    await storage.delete(manifestKey(planned.id));
    try {
      await storage.delete(archiveKey(planned.id));
    } catch (err) {
      // The manifest is gone, so the archive is now a leftover: the next prune removes it.
      return { error: `manifest removed, archive kept: ${message(err)}` };
    }
    return { deleted: true };
  });
}

/**
 * True when a newer backup of the same series is, re-read from storage right now, still drill-proven
 * with its archive present (its recorded size): only then may an older proven backup go.
 */
async function newerProvenConfirmed(
  storage: Storage,
  victim: BackupManifest,
  catalog: Catalog,
  proven: (m: BackupManifest) => boolean,
): Promise<boolean> {
  const newer = catalog.backups.filter(
    (m) =>
      seriesKey(m) === seriesKey(victim) &&
      Date.parse(m.startedAt) > Date.parse(victim.startedAt) &&
      proven(m),
  );
  for (const k of newer) {
    try {
      const text = await storage.getText(manifestKey(k.id));
      if (text === null) continue;
      const fresh = parseManifest(text, k.id);
      const archive = await storage.stat(archiveKey(k.id));
      if (drillPassed(fresh) && archive?.size === fresh.archive.bytes) return true;
    } catch {
      // Unreadable right now: cannot count as the backup that makes the victim redundant.
    }
  }
  return false;
}

type LeftoverRow = PruneResult['leftovers'][number];

async function removeLeftovers(
  storage: Storage,
  objects: StoredObject[],
  now: Date,
  grace: number,
  dryRun: boolean | undefined,
  errors: PruneResult['errors'],
): Promise<LeftoverRow[]> {
  const cutoff = new Date(now.getTime() - grace);
  const rows: LeftoverRow[] = [];
  for (const o of objects) {
    const old = o.modified <= cutoff;
    const row = {
      key: o.key,
      size: o.size,
      removed: false,
      reason: old
        ? 'no manifest: failed or interrupted backup'
        : 'no manifest, but recent: may be a backup in progress',
    };
    rows.push(row);
    if (!old || dryRun) continue;
    try {
      row.removed = await removeLeftover(storage, o.key);
      if (!row.removed) row.reason = 'a manifest appeared for it: kept';
    } catch (err) {
      row.reason = `kept: ${message(err)}`;
      errors.push({ key: o.key, error: message(err) });
    }
  }
  if (!dryRun) {
    try {
      for (const key of await storage.cleanupIncomplete(cutoff))
        rows.push({ key, size: 0, removed: true, reason: 'incomplete upload' });
    } catch (err) {
      errors.push({ key: '(incomplete uploads)', error: message(err) });
    }
  }
  return rows;
}

/** Removes an archive-side object only if, under the lease, its backup still has no manifest. */
async function removeLeftover(storage: Storage, key: string): Promise<boolean> {
  const id = key.replace(/\.dump(\.partial)?$/, '');
  return withLease(storage, 'pruning leftovers', async (lease) => {
    if ((await storage.stat(manifestKey(id))) !== null) return false;
    lease.assertHeld();
    await storage.delete(key);
    return true;
  });
}

/** One line for a prune that was not ok (serve's failed job, logs): what failed first, and how many. */
export function pruneFailureMessage(r: PruneResult): string {
  const first = r.errors[0];
  return `prune incomplete: ${r.errors.length} problem(s), nothing they concern was deleted${first ? `; first: ${first.key}: ${first.error}` : ''}`;
}
