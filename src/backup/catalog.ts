// The catalog is the set of manifests in storage, newest first by the time recorded in each manifest
// (never by object name or modification time). Names from storage are untrusted: only objects named
// after a valid backup id (manifestKey/archiveKey) are pgward's; every key is derived from the id.
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import { withLease } from './lease.js';
import {
  archiveKey,
  type BackupManifest,
  checkBackupRef,
  ID_PATTERN,
  idOfManifestKey,
  manifestKey,
  parseManifest,
} from './manifest.js';
import type { Storage, StoredObject } from './storage.js';

const MANIFEST_SUFFIX = '.manifest.json';

export interface Catalog {
  backups: BackupManifest[];
  /** Archives of backups whose manifest is not in storage at all (failed or interrupted backups). */
  leftovers: StoredObject[];
  /** Manifests that could not be read: reported, never silently ignored; their archives are kept. */
  unreadable: { key: string; error: string }[];
  /** Ids of listed backups whose archive is not in storage: such a backup is never "proven". */
  missingArchives: string[];
}

export function newestFirst(a: BackupManifest, b: BackupManifest): number {
  return Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id.localeCompare(a.id);
}

/** The backup id an archive-side object belongs to (`<id>.dump`, `<id>.dump.partial`), or null. */
function idOfArchiveObject(key: string): string | null {
  const m = /^(.+)\.dump(\.partial)?$/.exec(key);
  return m && ID_PATTERN.test(m[1]!) ? m[1]! : null;
}

/**
 * Every backup in a storage, newest first, with leftovers and unreadable manifests reported.
 * Reads every manifest; a listing error throws (nothing can be proven about a catalog not listed).
 *
 * @example
 * ```ts
 * import { backupSettings, openStorage, readCatalog } from 'pgward';
 * const s = backupSettings(undefined);
 * const { backups } = await readCatalog(await openStorage(s.storageUrl, s));
 * console.log(backups.map((b) => b.id));
 * ```
 */
export async function readCatalog(storage: Storage): Promise<Catalog> {
  const objects = await storage.list();
  const keys = new Set(objects.map((o) => o.key));
  const backups: BackupManifest[] = [];
  const unreadable: { key: string; error: string }[] = [];
  // Every id that has a manifest object, readable or not, owns its archive: never a leftover.
  const owned = new Set<string>();
  for (const o of objects) {
    if (!o.key.endsWith(MANIFEST_SUFFIX)) continue;
    const id = idOfManifestKey(o.key);
    if (!id) {
      // Looks like a manifest but is not named after a backup id: never read, but not hidden either.
      unreadable.push({ key: o.key, error: 'not named after a backup id: ignored' });
      continue;
    }
    owned.add(id);
    try {
      const text = await storage.getText(o.key);
      if (text === null) continue; // deleted between list and read: its archive waits for the next prune
      backups.push(parseManifest(text, id));
    } catch (err) {
      unreadable.push({ key: o.key, error: (err as Error).message });
    }
  }
  backups.sort(newestFirst);
  const leftovers = objects.filter((o) => {
    const id = idOfArchiveObject(o.key);
    return id !== null && !owned.has(id);
  });
  const missingArchives = backups.filter((m) => !keys.has(archiveKey(m.id))).map((m) => m.id);
  return { backups, leftovers, unreadable, missingArchives };
}

export interface CatalogFilter {
  env?: string | undefined;
  database?: string | undefined;
}

export function filterBackups(list: BackupManifest[], f: CatalogFilter): BackupManifest[] {
  return list.filter(
    (m) =>
      (f.env === undefined || m.env === f.env) && (f.database === undefined || m.database === f.database),
  );
}

/**
 * Finds a backup by id, unique id prefix, or `latest` (the newest, within the filter).
 *
 * @example
 * ```ts
 * import { backupSettings, findBackup, openStorage } from 'pgward';
 * const s = backupSettings(undefined);
 * const latest = await findBackup(await openStorage(s.storageUrl, s), 'latest', { env: 'production' });
 * ```
 */
export async function findBackup(
  storage: Storage,
  ref: string,
  filter: CatalogFilter = {},
): Promise<BackupManifest> {
  checkBackupRef(ref);
  if (ref === 'latest') {
    const { backups } = await readCatalog(storage);
    const m = filterBackups(backups, filter)[0];
    if (!m) {
      throw new PgwardError(
        `no backups in ${storage.url}${filter.env ? ` for environment ${filter.env}` : ''}`,
        {
          hint: 'take one with `pgward backup create`',
        },
      );
    }
    return m;
  }
  if (ID_PATTERN.test(ref)) {
    const direct = await storage.getText(manifestKey(ref));
    if (direct !== null) return parseManifest(direct, ref);
  }
  const { backups } = await readCatalog(storage);
  const matches = backups.filter((m) => m.id.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new UsageError(
      `backup id "${ref}" is ambiguous (${matches.length} match)`,
      'give more characters of the id',
    );
  throw new UsageError(`no backup "${ref}" in ${storage.url}`, 'see `pgward backup list`');
}

/** The backup's manifest disappeared (pruned) between reading it and writing to it. */
export class BackupGoneError extends PgwardError {}

/**
 * Rewrites a manifest with `change` applied to its CURRENT stored version, under the catalog lease.
 * A manifest that is no longer there is never re-created: that would resurrect a pruned backup as a
 * manifest without an archive.
 */
export async function updateManifest(
  storage: Storage,
  id: string,
  purpose: string,
  change: (fresh: BackupManifest) => BackupManifest,
): Promise<BackupManifest> {
  return withLease(storage, purpose, async (lease) => {
    const text = await storage.getText(manifestKey(id));
    if (text === null) {
      throw new BackupGoneError(`backup ${id} was pruned while ${purpose}: nothing was recorded`, {
        exitCode: ExitCode.runtime,
      });
    }
    const next = change(parseManifest(text, id));
    lease.assertHeld();
    await storage.putText(manifestKey(id), `${JSON.stringify(next, null, 2)}\n`);
    return next;
  });
}

/**
 * Publishes the manifest of a new backup, under the lease, only while its archive is still stored
 * (a prune that judged the archive a leftover holds the same lease): never a manifest without archive.
 */
export async function publishManifest(storage: Storage, m: BackupManifest): Promise<void> {
  await withLease(storage, 'publishing a backup', async (lease) => {
    const archive = await storage.stat(archiveKey(m.id));
    if (archive?.size !== m.archive.bytes) {
      throw new PgwardError(
        `archive ${archiveKey(m.id)} of backup ${m.id} is ${archive ? 'not the one written' : 'gone'} (removed as a leftover?): manifest not written`,
        { hint: 'raise backups.retention.leftover_grace above the longest backup duration' },
      );
    }
    if ((await storage.getText(manifestKey(m.id))) !== null)
      throw new PgwardError(`backup ${m.id} already has a manifest: not overwritten`);
    lease.assertHeld();
    await storage.putText(manifestKey(m.id), `${JSON.stringify(m, null, 2)}\n`);
  });
}

/** Replaces an existing manifest (under the lease; never re-creates a deleted one). */
export async function saveManifest(storage: Storage, m: BackupManifest): Promise<void> {
  await updateManifest(storage, m.id, 'saving the manifest', () => m);
}
