// What plan can see before anything runs: each pending migration of another framework turned into the
// SQL that framework will send for `up`, with its execution model (one transaction or none) and notes on
// what a static reading cannot tell. SQL-file frameworks are read as they are sent; Alembic and Django
// through their own dry-run modes; Rails, Knex and node-pg-migrate through a static reading of their DSL.
// Nothing in src/frameworks/*.ts imports this folder (it imports them), so there is no folder loop.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { UsageError } from '../../errors.js';
import { parseMigration } from '../../files/migration-files.js';
import { type PreparedLint, prepareScripts } from '../../lint/index.js';
import { ensureParser } from '../../sql/parser.js';
import { readAlembic } from './alembic.js';
import { readDjango } from './django.js';
import { readFlyway } from './flyway.js';
import { readGolangMigrate } from './golang-migrate.js';
import { readKnex } from './knex.js';
import { readNodePgMigrate } from './node-pg-migrate.js';
import { readPrisma } from './prisma.js';
import { readRails } from './rails.js';
import {
  absolute,
  fromFiles,
  nothingRead,
  type PendingRef,
  type StaticContext,
  type StaticFramework,
  type StaticMigration,
} from './types.js';

export { readRailsSource } from './rails.js';
export type { PendingRef, StaticContext, StaticFramework, StaticMigration } from './types.js';

type PerFile = (dir: string, m: PendingRef, ctx: StaticContext) => StaticMigration;

const PER_FILE: Partial<Record<StaticFramework, PerFile>> = {
  prisma: readPrisma,
  'golang-migrate': readGolangMigrate,
  flyway: readFlyway,
  rails: readRails,
  knex: readKnex,
  'node-pg-migrate': readNodePgMigrate,
  dbmate: readPgwardFormat,
  pgward: readPgwardFormat,
};

/** dbmate and pgward share one file format: its up section, wrapped unless it opts out. */
function readPgwardFormat(dir: string, m: PendingRef): StaticMigration {
  const file = absolute(dir, m.file ?? m.version);
  const parsed = parseMigration(file, readFileSync(file, 'utf8'));
  return fromFiles(m.version, [file], parsed.up.text, parsed.transaction);
}

/**
 * The pending migrations of `framework`, in the order given, as the SQL it will send for `up`.
 *
 * @example
 * ```ts
 * const [m] = await readPendingMigrations('prisma', {
 *   root: '/app', dir: '/app/prisma/migrations',
 *   pending: [{ version: '20240101000000', file: '20240101000000_init/migration.sql' }],
 * });
 * console.log(m.sql, m.wrapped, m.notes);
 * ```
 */
export async function readPendingMigrations(
  framework: StaticFramework,
  ctx: StaticContext,
): Promise<StaticMigration[]> {
  await ensureParser();
  if (framework === 'alembic') return readAlembic(ctx);
  if (framework === 'django') return readDjango(ctx);
  const read = PER_FILE[framework];
  if (read === undefined) throw new UsageError(`plan cannot read ${framework} migrations statically`);
  return ctx.pending.map((m) => {
    try {
      return read(ctx.dir, m, ctx);
    } catch (e) {
      // A file that vanished or cannot be read is said, not thrown: the other migrations still show.
      if (!(e instanceof Error && 'code' in e)) throw e;
      const what = m.file ?? m.version;
      return nothingRead(
        m.version,
        `cannot read ${what} (${(e as NodeJS.ErrnoException).code}): check what is pending with pgward status`,
      );
    }
  });
}

/**
 * The line of the migration's own file (the .rb or .js) that produced line `sqlLine` of its SQL, for the
 * translated frameworks (Rails, Knex, node-pg-migrate), which write `-- line N: …` above each call's SQL;
 * undefined when the SQL is the file itself or was rendered by the framework.
 *
 * @example
 * ```ts
 * const sql = '-- line 4: remove_column :users, :email\nALTER TABLE "users" DROP COLUMN "email";\n';
 * console.log(sourceLineOf(sql, 2)); // 4
 * ```
 */
export function sourceLineOf(sql: string, sqlLine: number): number | undefined {
  const lines = sql.split('\n');
  for (let i = Math.min(sqlLine, lines.length) - 1; i >= 0; i--) {
    const m = /^-- line (\d+): /.exec(lines[i]!);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/**
 * The readable migrations prepared for the lint with their framework's execution model (wrapped or not,
 * no pgward timeouts); the ones without SQL to lint are left out (their notes say why).
 */
export async function prepareStatic(
  migrations: readonly StaticMigration[],
  cwd = process.cwd(),
): Promise<PreparedLint> {
  return prepareScripts(
    migrations
      // Nothing to lint (SQL unreadable, or a migration with no statements): its notes say why.
      .filter((m) => m.sql !== undefined && m.sql.replace(/--[^\n]*/g, '').trim() !== '')
      .map((m) => ({
        text: m.sql!,
        file: m.files[0] ? relative(cwd, m.files[0]) || m.files[0] : m.version,
        version: m.version,
        wrapped: m.wrapped,
      })),
  );
}
