// Schema drift between a source table and the table of the same name on the target: found before any
// hash is computed, so a compare (or a clone's validation) reports it as a difference instead of failing
// on a column the target does not have.
import type { CopyTable } from './copy-plan.js';

const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

/** For each source table present on the target with other columns: what differs, in one line. */
export function columnDrift(source: CopyTable[], target: CopyTable[]): Map<string, string> {
  const onTarget = new Map(target.map((t) => [key(t), t]));
  const out = new Map<string, string>();
  for (const s of source) {
    const t = onTarget.get(key(s));
    if (!t) continue;
    const tCols = new Map(t.columns.map((c) => [c.name, c.type]));
    const sCols = new Map(s.columns.map((c) => [c.name, c.type]));
    const parts: string[] = [];
    const missing = s.columns.filter((c) => !tCols.has(c.name)).map((c) => c.name);
    const extra = t.columns.filter((c) => !sCols.has(c.name)).map((c) => c.name);
    const retyped = s.columns
      .filter((c) => tCols.has(c.name) && tCols.get(c.name) !== c.type)
      .map((c) => `${c.name} ${c.type} → ${tCols.get(c.name)}`);
    if (missing.length) parts.push(`columns missing on the target: ${missing.join(', ')}`);
    if (extra.length) parts.push(`columns only on the target: ${extra.join(', ')}`);
    if (retyped.length) parts.push(`column types differ: ${retyped.join(', ')}`);
    if (parts.length) out.set(key(s), parts.join('; '));
  }
  return out;
}

/** Target tables the source does not have (among the tables the filter selects). */
export function onlyOnTarget(source: CopyTable[], target: CopyTable[]): CopyTable[] {
  const onSource = new Set(source.map(key));
  return target.filter((t) => !onSource.has(key(t)));
}
