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
import type { BackupManifest } from './manifest.js';
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

export async function localArchive(
  storage: Storage,
  m: BackupManifest,
  tempRoot?: string,
): Promise<LocalArchive> {
  const direct = storage.localPath(m.archive.key);
  if (direct) {
    const st = await stat(direct).catch(() => null);
    if (!st)
      throw new PgwardError(`archive ${m.archive.key} of backup ${m.id} is missing from ${storage.url}`);
    return { path: direct, bytes: st.size, sha256: await sha256File(direct), cleanup: async () => {} };
  }
  const dir = await mkdtemp(join(tempRoot ?? tmpdir(), 'pgward-restore-'));
  const path = join(dir, m.archive.key);
  try {
    await storage.download(m.archive.key, path);
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
