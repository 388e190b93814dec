// The catalog is the set of manifests in storage, newest first by the time recorded in each manifest
// (never by object name or modification time). Objects that belong to no manifest are leftovers of
// failed or interrupted backups.
import { PgwardError, UsageError } from '../errors.js';
import { type BackupManifest, manifestKey, parseManifest } from './manifest.js';
import type { Storage, StoredObject } from './storage.js';

const MANIFEST_SUFFIX = '.manifest.json';

export interface Catalog {
  backups: BackupManifest[];
  /** Stored objects referenced by no manifest (partial archives, archives whose manifest was never written). */
  leftovers: StoredObject[];
  /** Manifests that could not be read: reported, never silently ignored. */
  unreadable: { key: string; error: string }[];
}

export function newestFirst(a: BackupManifest, b: BackupManifest): number {
  return Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id.localeCompare(a.id);
}

/**
 * Every backup in a storage, newest first, with leftovers and unreadable manifests reported.
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
  const backups: BackupManifest[] = [];
  const unreadable: { key: string; error: string }[] = [];
  const referenced = new Set<string>();
  for (const o of objects.filter((o) => o.key.endsWith(MANIFEST_SUFFIX))) {
    referenced.add(o.key);
    try {
      const text = await storage.getText(o.key);
      if (text === null) continue; // deleted between list and read
      const m = parseManifest(text, o.key);
      backups.push(m);
      referenced.add(m.archive.key);
    } catch (err) {
      unreadable.push({ key: o.key, error: (err as Error).message });
    }
  }
  backups.sort(newestFirst);
  // Temp files of an atomic manifest rewrite in progress are not leftovers of a backup.
  const leftovers = objects.filter(
    (o) => !referenced.has(o.key) && !/\.manifest\.json\.\d+\.tmp$/.test(o.key),
  );
  return { backups, leftovers, unreadable };
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
  const direct = await storage.getText(manifestKey(ref));
  if (direct !== null) return parseManifest(direct, manifestKey(ref));
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

/** Rewrites a manifest (e.g. with a verification result); atomic on both backends. */
export async function saveManifest(storage: Storage, m: BackupManifest): Promise<void> {
  await storage.putText(manifestKey(m.id), `${JSON.stringify(m, null, 2)}\n`);
}
