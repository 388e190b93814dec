// Helpers shared by the read-only framework adapters: listing files, naming the tracking table safely,
// checking what exists in the database (never writing to it), and merging files with applied rows.
import { existsSync, readdirSync, statSync } from 'node:fs';
import type pg from 'pg';
import type { MigrationStatusEntry } from '../files/migration-status.js';
import { quoteIdent } from '../sql/quote.js';

/** Sorted entry names of `dir`, or none when it does not exist (a fresh project has no files yet). */
export function listDir(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir).sort();
}

export function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

export interface TableRef {
  /** How the user wrote it (or the default), shown in reports. */
  display: string;
  /** Quoted SQL name, safe to interpolate. */
  sql: string;
  /** Schema given by the user, if any: sibling tables (ar_internal_metadata, locks) live there too. */
  schema: string | undefined;
  name: string;
}

/** `table` may be `name` or `schema.name`; each part is quoted so no name can inject SQL. */
export function tableRef(table: string | undefined, fallback: string): TableRef {
  const given = table ?? fallback;
  const dot = given.indexOf('.');
  const schema = dot === -1 ? undefined : given.slice(0, dot);
  const name = dot === -1 ? given : given.slice(dot + 1);
  const sql = schema === undefined ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
  return { display: given, sql, schema, name };
}

/** A table next to `ref` (same schema), e.g. ar_internal_metadata beside schema_migrations. */
export function sibling(ref: TableRef, name: string): TableRef {
  return tableRef(ref.schema === undefined ? name : `${ref.schema}.${name}`, name);
}

export async function tableExists(client: pg.Client, ref: TableRef): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [ref.sql]);
  return res.rows[0]?.ok === true;
}

/** Column names of the table (empty when it does not exist). */
export async function columnsOf(client: pg.Client, ref: TableRef): Promise<Set<string>> {
  const res = await client.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [ref.sql],
  );
  return new Set(res.rows.map((r) => r.attname));
}

/**
 * The `schema_migrations` shared by Rails, dbmate, golang-migrate and Ecto is told apart as the research
 * note says: a `dirty` column means golang-migrate, `inserted_at` Ecto, `ar_internal_metadata` Rails.
 */
export async function schemaMigrationsKind(
  client: pg.Client,
  ref: TableRef,
): Promise<'none' | 'golang-migrate' | 'ecto' | 'rails' | 'dbmate'> {
  const cols = await columnsOf(client, ref);
  if (cols.size === 0) return 'none';
  if (cols.has('dirty')) return 'golang-migrate';
  if (cols.has('inserted_at')) return 'ecto';
  if (await tableExists(client, sibling(ref, 'ar_internal_metadata'))) return 'rails';
  return 'dbmate';
}

export function isoTime(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return v;
  return undefined;
}

/** A migration file, keyed by the identity the framework stores in its table. */
export interface FileItem {
  key: string;
  version: string;
  name: string;
  file: string;
}

/** A tracking-table row, keyed like FileItem. */
export interface AppliedRow {
  key: string;
  version: string;
  name: string;
  state: 'applied' | 'failed';
  appliedAt?: string;
  appliedBy?: string;
  durationMs?: number;
  note?: string;
}

export interface ReconcileOptions {
  /** The framework's run order. */
  compare: (a: { version: string; name: string; key: string }, b: typeof a) => number;
  /** Whether a pending file older than the newest applied one is reported as out-of-order. */
  outOfOrder: boolean;
}

/**
 * Merges files with rows for frameworks that record one row per applied migration: a file with a row is
 * applied (or failed), one without is pending, a row without a file is missing.
 */
export function reconcile(
  files: FileItem[],
  rows: AppliedRow[],
  opts: ReconcileOptions,
): MigrationStatusEntry[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const fileKeys = new Set(files.map((f) => f.key));
  let newest: AppliedRow | undefined;
  for (const r of rows) {
    if (r.state === 'applied' && (!newest || opts.compare(r, newest) > 0)) newest = r;
  }
  const items: { sortKey: { version: string; name: string; key: string }; entry: MigrationStatusEntry }[] =
    [];
  for (const f of files) {
    const row = byKey.get(f.key);
    const entry: MigrationStatusEntry = { version: f.version, name: f.name, state: 'pending', file: f.file };
    if (row) {
      entry.state = row.state;
      if (row.appliedAt !== undefined) entry.appliedAt = row.appliedAt;
      if (row.appliedBy !== undefined) entry.appliedBy = row.appliedBy;
      if (row.durationMs !== undefined) entry.durationMs = row.durationMs;
      if (row.note !== undefined) entry.note = row.note;
    } else if (opts.outOfOrder && newest && opts.compare(f, newest) < 0) {
      entry.state = 'out-of-order';
      entry.note = `older than ${newest.key}, which is already applied`;
    }
    items.push({ sortKey: f, entry });
  }
  for (const r of rows) {
    if (fileKeys.has(r.key)) continue;
    // A failed row stays failed (it still blocks the framework); an applied one becomes missing.
    const gone = 'recorded in the tracking table but its file is gone';
    const entry: MigrationStatusEntry = {
      version: r.version,
      name: r.name,
      state: r.state === 'failed' ? 'failed' : 'missing',
      note: r.note === undefined ? gone : `${r.note}; ${gone}`,
    };
    if (r.appliedAt !== undefined) entry.appliedAt = r.appliedAt;
    if (r.appliedBy !== undefined) entry.appliedBy = r.appliedBy;
    items.push({ sortKey: r, entry });
  }
  items.sort((a, b) => opts.compare(a.sortKey, b.sortKey));
  return items.map((i) => i.entry);
}

/** A version as a number; a hand-edited non-numeric one sorts first rather than throwing. */
function asNumber(v: string): bigint {
  return /^\d+$/.test(v) ? BigInt(v) : -1n;
}

/** Compares by version as numbers, then by key, so two files never tie. */
export function byNumericVersion(
  a: { version: string; key: string },
  b: { version: string; key: string },
): number {
  const x = asNumber(a.version);
  const y = asNumber(b.version);
  if (x !== y) return x < y ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
