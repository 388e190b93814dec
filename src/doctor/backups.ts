// The environment's backups as the catalog records them: newest backup, newest passed restore drill,
// and the most recent drill whatever its outcome (a failed drill must not hide behind an older pass).

import { filterBackups, readCatalog } from '../backup/catalog.js';
import { backupSettings } from '../backup/config.js';
import type { BackupManifest } from '../backup/manifest.js';
import { drillPassed } from '../backup/retention.js';
import { openStorage } from '../backup/storage.js';
import type { LoadedConfig } from '../config/load.js';
import type { BackupsInfo } from './types.js';

export async function backupsInfo(
  config: LoadedConfig | undefined,
  env: string | undefined,
  onList?: (list: BackupManifest[]) => void,
): Promise<BackupsInfo> {
  const s = backupSettings(config);
  const storage = await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 });
  const catalog = await readCatalog(storage);
  const list = filterBackups(catalog.backups, { env });
  onList?.(list);
  const missing = new Set(catalog.missingArchives);
  const last = list[0];
  let lastDrill: BackupsInfo['lastDrill'] = null;
  let lastPassed: string | null = null;
  for (const m of list) {
    for (const v of m.verifications.length ? m.verifications : m.verification ? [m.verification] : []) {
      if (v.checks.drill === null) continue; // checksum-only verification: not a drill
      if (!lastDrill || v.at > lastDrill.at)
        lastDrill = {
          at: v.at,
          ok: v.ok && v.checks.drill === true,
          backupId: m.id,
          firstDifference: v.firstDifference,
        };
    }
    // A passed drill of a backup whose archive is gone proves nothing any more (see retention).
    if (missing.has(m.id)) continue;
    if (drillPassed(m) && m.verification && (!lastPassed || m.verification.at > lastPassed))
      lastPassed = m.verification.at;
    for (const v of m.verifications) {
      if (v.ok && v.checks.drill === true && (!lastPassed || v.at > lastPassed)) lastPassed = v.at;
    }
  }
  return {
    storage: storage.url,
    count: list.length,
    lastSuccessAt: last?.finishedAt ?? null,
    lastSizeBytes: last?.archive.bytes ?? null,
    lastDrillPassedAt: lastPassed,
    lastDrill,
    ...(catalog.unreadable.length ? { error: `${catalog.unreadable.length} unreadable manifest(s)` } : {}),
  };
}
