// What a folder holds when it holds no SQL: framework migrations written in Ruby, Python or JavaScript
// (or nothing at all). `pgward lint` says this instead of "no problems found" having checked nothing.
import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { isDir, listDir } from './common.js';
import { SKIPPED_FOLDERS } from './discover.js';

const SKIP = new Set<string>(SKIPPED_FOLDERS);
const MAX_DEPTH = 4;
/** `exports.up =`, `export async function up`, `export const up =`, `up: async (…` / `async up(`. */
const UP_EXPORT =
  /(\bexports\.up\s*=|\bexport\s+(async\s+)?function\s+up\b|\bexport\s+const\s+up\s*=|\bup\s*:\s*(async\s*)?(\(|function)|\basync\s+up\s*\()/;
/** Only the start of a file is read to tell frameworks apart. */
const HEAD = 4096;

export interface FolderKind {
  /** e.g. "Rails migrations (.rb)" */
  what: string;
  count: number;
}

function head(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(0, HEAD);
  } catch {
    return '';
  }
}

/** The kind of one non-SQL migration file, or undefined when it is not one. */
function kindOf(path: string): string | undefined {
  const name = basename(path);
  const ext = extname(name);
  if (ext === '.rb') return /^\d+_.*\.rb$/.test(name) ? 'Rails migrations (.rb)' : undefined;
  if (ext === '.py') {
    if (name.startsWith('_')) return undefined;
    const src = head(path);
    if (/^revision\s*(?::[^=\n]*)?=/m.test(src)) return 'Alembic revisions (.py)';
    if (basename(join(path, '..')) === 'migrations' && /class Migration\b/.test(src))
      return 'Django migrations (.py)';
    return undefined;
  }
  if (/\.(js|ts|cjs|mjs)$/.test(name) && !/\.d\.[cm]?ts$/.test(name)) {
    const src = head(path);
    // A migration module exports an `up` (Knex, node-pg-migrate, umzug…); other scripts are not counted.
    if (!UP_EXPORT.test(src)) return undefined;
    if (/\bpgm\./.test(src) || /MigrationBuilder/.test(src)) return `node-pg-migrate migrations (${ext})`;
    if (/\bknex\b/i.test(src)) return `Knex migrations (${ext})`;
    return `JavaScript migrations (${ext})`;
  }
  if (ext === '.go' && /\bgoose\b/.test(head(path))) return 'goose migrations (.go)';
  if (ext === '.java' && /^V\d/.test(name)) return 'Flyway Java migrations (.java)';
  return undefined;
}

/** Counts the non-SQL migration files under `dir` by kind (most first). */
export function foreignMigrationFiles(dir: string): FolderKind[] {
  const counts = new Map<string, number>();
  const visit = (d: string, depth: number) => {
    for (const e of listDir(d)) {
      if (e.startsWith('.') || SKIP.has(e)) continue;
      const path = join(d, e);
      if (isDir(path)) {
        if (depth < MAX_DEPTH) visit(path, depth + 1);
        continue;
      }
      const kind = kindOf(path);
      if (kind) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
  };
  visit(dir, 0);
  return [...counts].map(([what, count]) => ({ what, count })).sort((a, b) => b.count - a.count);
}

/** "12 Rails migrations (.rb)", or "no migration files" — the contents of a folder without SQL. */
export function describeNonSql(dir: string): string {
  const kinds = foreignMigrationFiles(dir);
  if (kinds.length === 0) return 'no .sql files (nothing to lint)';
  return kinds.map((k) => `${k.count} ${k.what}`).join(', ');
}
