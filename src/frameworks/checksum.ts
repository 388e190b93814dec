// The checksum an approval binds to for a framework's migration: sha256 over the bytes of the file(s)
// that define it (a Prisma migration is a folder: every file in it, in name order). Edit the file and
// the approval no longer applies.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function migrationFiles(dir: string, file: string | undefined): string[] {
  if (!file) return [];
  const path = join(dir, file);
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
    return readdirSync(path)
      .sort()
      .map((f) => join(path, f))
      .filter((p) => statSync(p).isFile());
  return [path];
}

export function checksumOfFiles(paths: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of paths) {
    h.update(readFileSync(p));
    h.update('\0');
  }
  return h.digest('hex');
}
