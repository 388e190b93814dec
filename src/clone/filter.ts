// Table include/exclude patterns: `schema.table` or `table` (schema public), with * and ? wildcards.
// A partition matches when its own name or its partitioned root's name matches, so `--table events`
// takes the whole partitioned table.
import type { CopyTable } from './catalog.js';

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

/** pg_dump -t/-T arguments equivalent to the filter, given what it selected. */
export function pgDumpTableArgs(f: TableFilter, selected: CopyTable[], excluded: CopyTable[]): string[] {
  const args: string[] = [];
  const roots = (list: CopyTable[]) => {
    const seen = new Set<string>();
    for (const t of list) {
      seen.add(exactPattern(t.schema, t.name));
      if (t.rootName !== t.name || t.rootSchema !== t.schema)
        seen.add(exactPattern(t.rootSchema, t.rootName));
    }
    return [...seen];
  };
  if (f.include.length) for (const p of roots(selected)) args.push(`--table=${p}`);
  else if (f.exclude.length) {
    // A root is excluded only when none of its partitions is kept.
    const keptRoots = new Set(selected.map((t) => `${t.rootSchema}.${t.rootName}`));
    for (const t of excluded) {
      args.push(`--exclude-table=${exactPattern(t.schema, t.name)}`);
      if (!keptRoots.has(`${t.rootSchema}.${t.rootName}`))
        args.push(`--exclude-table=${exactPattern(t.rootSchema, t.rootName)}`);
    }
  }
  return [...new Set(args)];
}
