// Layout discovery: which migration frameworks a project uses and where their migrations are, read from
// the project's own files (Gemfile, alembic.ini, manage.py, schema.prisma, knexfile, flyway.toml …) in the
// start folder and its subfolders (monorepos), never from the database.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FrameworkLayout } from '../config/frameworks.js';
import { discoverKnex, discoverNodePgMigrate, discoverPrisma } from './discover-node.js';
import { discoverAlembic, discoverDjango } from './discover-python.js';
import { discoverFlyway, discoverGolangMigrate, discoverRails } from './discover-sql.js';

export type { FrameworkLayout } from '../config/frameworks.js';

/** Folders never searched: dependencies, virtualenvs, build output (hidden folders are skipped too). */
export const SKIPPED_FOLDERS = [
  'node_modules',
  'vendor',
  'venv',
  '.venv',
  'dist',
  'build',
  'target',
  '__pycache__',
  'site-packages',
] as const;
const SKIP = new Set<string>(SKIPPED_FOLDERS);

/** How deep project roots are searched below the start folder (apps/api/prisma is depth 2). */
export const ROOT_DEPTH = 3;
/** golang-migrate folders sit deeper than roots (flipt: internal/storage/sql/migrations/postgres is 5). */
const FOLDER_DEPTH = ROOT_DEPTH + 3;

const ROOT_DETECTORS: ((root: string) => FrameworkLayout[])[] = [
  discoverRails,
  discoverAlembic,
  discoverDjango,
  discoverPrisma,
  discoverKnex,
  discoverNodePgMigrate,
  discoverFlyway,
];

function subfolders(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // unreadable: nothing to find there
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Every framework layout found in `start` and its subfolders (breadth first, so the layouts nearest to
 * `start` come first). A folder found twice (prisma/schema.prisma seen from the package and from prisma/)
 * is reported once, from the shallower root. dbmate and pgward's own folders are not listed here: their
 * format is told apart by the database (detectFramework).
 *
 * @example
 * ```ts
 * import { discoverLayouts } from 'pgward';
 * for (const l of discoverLayouts(process.cwd())) console.log(l.framework, l.dir, l.evidence);
 * ```
 */
export function discoverLayouts(start: string): FrameworkLayout[] {
  const top = resolve(start);
  const found: FrameworkLayout[] = [];
  const seen = new Set<string>();
  const add = (layouts: FrameworkLayout[]) => {
    for (const l of layouts) {
      const key = `${l.framework}\0${l.dir}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(l);
    }
  };
  let level = [top];
  for (let depth = 0; depth <= FOLDER_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (depth <= ROOT_DEPTH) for (const detect of ROOT_DETECTORS) add(detect(dir));
      add(discoverGolangMigrate(dir, top));
      if (depth < FOLDER_DEPTH) for (const sub of subfolders(dir)) next.push(join(dir, sub));
    }
    level = next;
  }
  return found;
}
