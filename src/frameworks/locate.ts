// Where a project's migrations are when nobody said: --dir and migrations.dir win; otherwise a
// db/migrations folder of pgward/dbmate files; otherwise the one framework layout the project's own files
// show (discover.ts). A foreign framework whose folder does not exist is an error naming what was searched,
// never a status listing every applied migration as "missing".
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { FrameworkLayout, FrameworkName } from '../config/frameworks.js';
import type { MigrationsSource } from '../config/target.js';
import { UsageError } from '../errors.js';
import { FILE_PATTERN } from '../files/migration-files.js';
import { listDir } from './common.js';
import { discoverLayouts, ROOT_DEPTH } from './discover.js';

/** What discovery looks for, per framework (error messages and docs say the same). */
export const SEARCHED: Record<Exclude<FrameworkName, 'pgward'>, string> = {
  rails: 'Gemfile (or config/application.rb) + db/migrate/',
  alembic: "alembic.ini's (or pyproject.toml [tool.alembic]'s) script_location",
  django: 'manage.py + <app>/migrations/ packages',
  prisma: 'schema.prisma, prisma/schema.prisma, package.json prisma.schema, prisma.config.ts',
  knex: 'knexfile.{js,cjs,mjs,ts}',
  'node-pg-migrate': 'package.json (node-pg-migrate dependency or script -m), .pgmigraterc',
  flyway: 'flyway.conf / flyway.toml locations, src/main/resources/db/migration',
  'golang-migrate': 'folders of <version>_<name>.up.sql files',
  dbmate: 'db/migrations',
};

function shown(path: string, cwd: string): string {
  return relative(cwd, path) || '.';
}

/** A layout in one line: `rails in db/migrate (Gemfile + db/migrate (3 migrations))`. */
export function describeLayout(l: FrameworkLayout, cwd = process.cwd()): string {
  return `${l.framework} in ${shown(l.dir, cwd)} (${l.evidence})`;
}

/** db/migrations already holds pgward (or dbmate) files: the existing detection decides, as before. */
function holdsPgwardFiles(dir: string): boolean {
  return listDir(dir).some((f) => FILE_PATTERN.test(f) && !/\.(up|down)\.sql$/.test(f));
}

const FIX = 'pass --dir <folder>, or set migrations.dir in pgward.yaml';

function missingGiven(source: MigrationsSource, cwd: string): UsageError {
  const from =
    source.origin === 'config'
      ? 'migrations.dir in pgward.yaml'
      : source.origin === 'flag'
        ? '--dir'
        : 'given';
  const others = discoverLayouts(source.root ?? cwd).filter((l) => l.framework === source.framework);
  const found = others.length ? `; found: ${others.map((l) => describeLayout(l, cwd)).join('; ')}` : '';
  return new UsageError(
    `${source.framework} migrations folder ${shown(source.dir, cwd)} does not exist (${from})`,
    `${FIX}${found}`,
  );
}

function missingLayoutDir(l: FrameworkLayout, cwd: string): UsageError {
  return new UsageError(
    `${l.framework} migrations folder ${shown(l.dir, cwd)} does not exist (found ${l.evidence}${l.root === cwd ? '' : ` in ${shown(l.root, cwd)}`})`,
    `create the first migration with ${l.framework}, or ${FIX}`,
  );
}

function noneFound(source: MigrationsSource, start: string, cwd: string): UsageError {
  const fw = source.framework as Exclude<FrameworkName, 'pgward'>;
  return new UsageError(
    `no ${fw} migrations found: searched ${shown(start, cwd)} and its subfolders (depth ${ROOT_DEPTH}) for ${SEARCHED[fw]}, and ${shown(source.dir, cwd)} does not exist`,
    FIX,
  );
}

/** One layout: the only one, else the only one rooted at the working directory (or the project folder). */
function pick(layouts: FrameworkLayout[], cwd: string, start: string): FrameworkLayout {
  if (layouts.length === 1) return layouts[0]!;
  for (const here of [cwd, start]) {
    const at = layouts.filter((l) => l.root === here);
    if (at.length === 1) return at[0]!;
  }
  const names = [...new Set(layouts.map((l) => l.framework))];
  throw new UsageError(
    `found several migration setups: ${layouts.map((l) => describeLayout(l, cwd)).join('; ')}`,
    `choose one with ${names.length > 1 ? `--framework ${names.join('|')} or ` : ''}--dir <folder> (or migrations.framework / migrations.dir in pgward.yaml)`,
  );
}

/** Sources already located (status, plan and migrate pass them on): the folders are searched once. */
const settled = new WeakSet<MigrationsSource>();

/**
 * The source with its folder settled: unchanged when --dir or migrations.dir named it (an error if a
 * foreign framework's folder is missing), else the discovered layout when db/migrations holds no
 * pgward/dbmate files. Idempotent: a discovered source is returned as is.
 *
 * @example
 * ```ts
 * import { locateMigrations, resolveMigrationsSource } from 'pgward';
 * const source = locateMigrations(resolveMigrationsSource(undefined));
 * console.log(source.framework, source.dir, source.layout?.evidence);
 * ```
 */
export function locateMigrations(source: MigrationsSource, cwd = process.cwd()): MigrationsSource {
  if (settled.has(source)) return source;
  const located = locate(source, cwd);
  settled.add(located);
  return located;
}

function locate(source: MigrationsSource, cwd: string): MigrationsSource {
  if (source.origin === 'discovered' || source.framework === 'pgward') return source;
  const foreign = source.framework !== 'auto';
  if (source.origin !== 'default') {
    if (foreign && !existsSync(source.dir)) throw missingGiven(source, cwd);
    return source;
  }
  if (source.framework === 'auto' && holdsPgwardFiles(source.dir)) return source;
  if (source.framework === 'dbmate') {
    if (!existsSync(source.dir)) throw noneFound(source, source.root ?? cwd, cwd);
    return source;
  }
  const start = source.root ?? cwd;
  const layouts = discoverLayouts(start).filter((l) => !foreign || l.framework === source.framework);
  if (layouts.length === 0) {
    if (!foreign || existsSync(source.dir)) return source;
    throw noneFound(source, start, cwd);
  }
  const layout = pick(layouts, cwd, start);
  if (!existsSync(layout.dir)) throw missingLayoutDir(layout, cwd);
  return {
    ...source,
    framework: layout.framework,
    dir: layout.dir,
    root: layout.root,
    layout,
    origin: 'discovered',
  };
}
