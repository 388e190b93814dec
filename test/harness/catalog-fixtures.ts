// Real backups for the catalog invariants: taken with pg_dump from a real database, proven with a real
// restore drill, in a project whose pgward.yaml carries the retention rules under test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackup } from '../../src/backup/create.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import { openStorage, type Storage } from '../../src/backup/storage.js';
import { verifyBackup } from '../../src/backup/verify.js';
import type { TestDatabase } from './db.js';
import { makeProject } from './project.js';

export interface CatalogProject {
  dir: string;
  config: string;
  storageDir: string;
  storage: Storage;
}

/** A project with one environment `prod` on `db`, file storage in ./backups, and these retention rules. */
export async function catalogProject(db: TestDatabase, retention: string): Promise<CatalogProject> {
  const dir = makeProject({
    'pgward.yaml': `environments:\n  prod:\n    url: ${db.url}\nbackups:\n  storage: file://./backups\n  retention:\n${retention}\n`,
  });
  const storageDir = join(dir, 'backups');
  mkdirSync(storageDir, { recursive: true });
  return {
    dir,
    config: join(dir, 'pgward.yaml'),
    storageDir,
    storage: await openStorage('file://./backups', { baseDir: dir }),
  };
}

export async function takeBackup(
  db: TestDatabase,
  storage: Storage,
  o: { pin?: boolean; drill?: boolean; env?: string } = {},
): Promise<BackupManifest> {
  const m = await createBackup({ url: db.url, env: o.env ?? 'prod', storage, pin: o.pin === true });
  if (o.drill) {
    const v = await verifyBackup({ storage, ref: m.id, serverUrl: db.url });
    if (!v.ok) throw new Error(`drill of ${m.id} failed: ${v.firstDifference}`);
  }
  return m;
}

/** Writes a manifest object as-is (a hostile or damaged one), bypassing every check. */
export function plantFile(dir: string, key: string, text: string): void {
  writeFileSync(join(dir, key), text);
}
