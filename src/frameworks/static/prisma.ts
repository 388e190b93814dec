// Prisma Migrate: `<folder>/migration.sql` is the SQL. `migrate deploy` sends the whole file as ONE simple
// Query (schema engine before prisma-engines PR #5767), so PostgreSQL runs it as one implicit transaction:
// a `CREATE INDEX CONCURRENTLY` after another statement fails, and Prisma sets no timeouts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listDir } from '../common.js';
import { fromFiles, type PendingRef, type StaticMigration } from './types.js';

export function readPrisma(dir: string, m: PendingRef): StaticMigration {
  const folder = listDir(dir).find((f) => f === m.version || f.startsWith(`${m.version}_`));
  const rel = m.file ?? `${folder ?? m.version}/migration.sql`;
  const file = rel.startsWith('/') ? rel : join(dir, rel);
  const sql = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  return fromFiles(m.version, [file], sql, true);
}
