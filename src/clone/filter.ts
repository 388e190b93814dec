// Table include/exclude patterns: `schema.table` or `table` (schema public), with * and ? wildcards.
// A partition matches when its own name or its partitioned root's name matches, so `--table events`
// takes the whole partitioned table.
import type { CopyTable } from './copy-plan.js';

export interface TableFilter {
  include: string[];
  exclude: string[];
  /** Tables whose definition is copied but not their rows. */
  excludeData: string[];
}

function toRegex(pattern: string): RegExp {
  const qualified = pattern.includes('.') ? pattern : `public.${pattern}`;
  const body = qualified
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function matcher(patterns: string[]): (t: CopyTable) => boolean {
  const res = patterns.map(toRegex);
  return (t) => res.some((r) => r.test(`${t.schema}.${t.name}`) || r.test(`${t.rootSchema}.${t.rootName}`));
}

export function applyFilter(
  tables: CopyTable[],
  f: TableFilter,
): { selected: CopyTable[]; excluded: CopyTable[]; noData: Set<number> } {
  const inc = f.include.length ? matcher(f.include) : () => true;
  const exc = matcher(f.exclude);
  const noData = matcher(f.excludeData);
  const selected = tables.filter((t) => inc(t) && !exc(t));
  const excluded = tables.filter((t) => !selected.includes(t));
  return { selected, excluded, noData: new Set(selected.filter(noData).map((t) => t.oid)) };
}

/** A pg_dump pattern that matches exactly this name (double quotes make it literal). */
export function exactPattern(schema: string, name: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return `${q(schema)}.${q(name)}`;
}

/**
 * pg_dump arguments for the filter, always as --exclude-table: `--table` would also drop the schemas,
 * types and functions the kept tables need, while excluding the others keeps everything else.
 */
export function pgDumpTableArgs(selected: CopyTable[], excluded: CopyTable[]): string[] {
  const args = new Set<string>();
  // A partitioned root is excluded only when none of its partitions is kept.
  const keptRoots = new Set(selected.map((t) => `${t.rootSchema}.${t.rootName}`));
  for (const t of excluded) {
    args.add(`--exclude-table=${exactPattern(t.schema, t.name)}`);
    if (!keptRoots.has(`${t.rootSchema}.${t.rootName}`))
      args.add(`--exclude-table=${exactPattern(t.rootSchema, t.rootName)}`);
  }
  return [...args];
}
