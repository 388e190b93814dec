// Which migration a statement belongs to, read from the framework's own bookkeeping as it goes by on the
// wire: Rails, Alembic, Django, Knex, node-pg-migrate and Flyway record a version after its statements,
// golang-migrate and Prisma before them. The guard uses it to know which migration runs now (approvals
// are per migration file) and to label the audit.
import { basename } from 'node:path';
import type { FrameworkName } from '../config/frameworks.js';

export interface TrackingSpec {
  /** The statement writes the framework's tracking table. */
  matches: RegExp;
  /** The version it records, from the SQL literal or the bound parameters. */
  version(sql: string, params: readonly (string | null)[] | undefined): string | undefined;
  /** The row is written before the migration's statements (else after). */
  before: boolean;
}

const firstLiteral = (sql: string) => /VALUES\s*\(\s*'([^']*)'/i.exec(sql)?.[1];
/** The bound parameter written to `column` by `INSERT … (cols) VALUES ($1, …)` (knex sorts the columns). */
function paramOfColumn(
  sql: string,
  p: readonly (string | null)[] | undefined,
  column: string,
): string | undefined {
  const m = /\(([^)]*)\)\s*values\s*\(([^)]*)\)/i.exec(sql);
  if (!m || !p) return undefined;
  const cols = m[1]!.split(',').map((c) => c.trim().replace(/"/g, '').toLowerCase());
  const ref = /^\$(\d+)$/.exec(m[2]!.split(',')[cols.indexOf(column)]?.trim() ?? '');
  return ref ? (p[Number(ref[1]) - 1] ?? undefined) : undefined;
}
const param = (i: number) => (_: string, p: readonly (string | null)[] | undefined) => p?.[i] ?? undefined;

const SPECS: Partial<Record<FrameworkName | 'django', TrackingSpec>> = {
  rails: {
    matches: /^\s*INSERT\s+INTO\s+"?schema_migrations"?/i,
    version: (sql, p) => firstLiteral(sql) ?? p?.[0] ?? undefined,
    before: false,
  },
  alembic: {
    matches: /^\s*(INSERT\s+INTO|UPDATE)\s+"?alembic_version"?/i,
    version: (sql) => /SET\s+version_num\s*=\s*'([^']+)'/i.exec(sql)?.[1] ?? firstLiteral(sql),
    before: false,
  },
  django: {
    matches: /^\s*INSERT\s+INTO\s+"django_migrations"/i,
    version: (sql) => {
      const m = /VALUES\s*\(\s*'([^']*)'\s*,\s*'([^']*)'/i.exec(sql);
      return m ? `${m[1]}.${m[2]}` : undefined;
    },
    before: false,
  },
  knex: {
    matches: /^\s*insert\s+into\s+"?knex_migrations"?\s/i,
    // knex inserts ("batch", "migration_time", "name"): the name is not the first parameter.
    version: (sql, p) => paramOfColumn(sql, p, 'name') ?? firstLiteral(sql),
    before: false,
  },
  'node-pg-migrate': {
    matches: /^\s*INSERT\s+INTO\s+("?public"?\.)?"?pgmigrations"?/i,
    version: (sql) => firstLiteral(sql),
    before: false,
  },
  flyway: {
    matches: /^\s*INSERT\s+INTO\s+.*flyway_schema_history/i,
    version: param(1),
    before: false,
  },
  'golang-migrate': {
    matches: /^\s*INSERT\s+INTO\s+.*schema_migrations.*dirty/i,
    version: (sql, p) => p?.[0] ?? firstLiteral(sql),
    before: true,
  },
  prisma: {
    matches: /^\s*INSERT\s+INTO\s+.*_prisma_migrations/i,
    version: (_sql, p) => p?.find((v) => v !== null && /^\d{14}_/.test(v)) ?? undefined,
    before: true,
  },
};

export function trackingSpec(framework: FrameworkName | 'django'): TrackingSpec | undefined {
  return SPECS[framework];
}

/** The names a pending migration can be recorded under (Rails compares versions as integers). */
export function recordedNames(m: { version: string; name: string; file?: string | undefined }): string[] {
  const names = [m.version, m.name, `${m.version}_${m.name}`];
  if (m.file) {
    const file = basename(m.file);
    names.push(file, file.replace(/\.[^.]+$/, ''));
  }
  if (/^\d+$/.test(m.version)) names.push(BigInt(m.version).toString());
  return names.filter((n) => n !== '');
}

/**
 * The framework's own bookkeeping tables: its lock row, tracking and metadata tables. Their statements
 * (knex's `UPDATE knex_migrations_lock SET is_locked = 1`, Alembic's `UPDATE alembic_version`) are
 * the framework keeping its books, not the project's data: the guard never refuses them.
 */
export const BOOKKEEPING_TABLES: ReadonlySet<string> = new Set([
  'schema_migrations',
  'ar_internal_metadata',
  'alembic_version',
  'django_migrations',
  'knex_migrations',
  'knex_migrations_lock',
  'pgmigrations',
  '_prisma_migrations',
  'flyway_schema_history',
]);
