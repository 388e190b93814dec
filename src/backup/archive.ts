// Getting an archive onto local disk, where pg_restore can seek in it (pg_restore -j needs a regular
// file). File storage is read in place; S3 is downloaded to a temp file. Either way its sha256 and size
// are measured on the bytes pg_restore will read.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PgwardError } from '../errors.js';
import { archiveKey, type BackupManifest } from './manifest.js';
import type { Storage } from './storage.js';

export interface LocalArchive {
  path: string;
  bytes: number;
  sha256: string;
  cleanup(): Promise<void>;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** The archive is missing or cannot be read from storage: the backup is unusable, not the target. */
export class ArchiveUnavailableError extends PgwardError {}

export async function localArchive(
  storage: Storage,
  m: BackupManifest,
  tempRoot?: string,
): Promise<LocalArchive> {
  // Derived from the id, never taken from the manifest's text (which anyone with storage access wrote).
  const key = archiveKey(m.id);
  const unavailable = (why: string) =>
    new ArchiveUnavailableError(`archive ${key} of backup ${m.id} ${why} in ${storage.url}`);
  const direct = storage.localPath(key);
  if (direct) {
    // stat() refuses a symlink out of the storage directory before anything reads the path.
    const st = await storage.stat(key).catch((err: Error) => {
      throw unavailable(`cannot be read: ${err.message}`);
    });
    if (!st) throw unavailable('is missing');
    return { path: direct, bytes: st.size, sha256: await sha256File(direct), cleanup: async () => {} };
  }
  const dir = await mkdtemp(join(tempRoot ?? tmpdir(), 'pgward-restore-'));
  const path = join(dir, key);
  try {
    await storage.download(key, path).catch((err: Error) => {
      throw unavailable(`cannot be read: ${err.message}`);
    });
    const st = await stat(path);
    return {
      path,
      bytes: st.size,
      sha256: await sha256File(path),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Why the local copy is not the archive the manifest describes, or null when it is. */
export function archiveMismatch(m: BackupManifest, a: LocalArchive): string | null {
  if (a.bytes < m.archive.bytes) {
    return `archive is truncated: ${a.bytes} bytes, the manifest records ${m.archive.bytes}`;
  }
  if (a.bytes !== m.archive.bytes)
    return `archive size differs: ${a.bytes} bytes, the manifest records ${m.archive.bytes}`;
  if (a.sha256 !== m.archive.sha256) {
    return `archive sha256 differs from the manifest (corrupted): ${a.sha256.slice(0, 16)}… vs ${m.archive.sha256.slice(0, 16)}…`;
  }
  return null;
}
