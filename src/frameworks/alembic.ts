// Alembic: Python scripts in `versions/` naming their `revision` and `down_revision` (None, a string,
// or a tuple for merge points); table `alembic_version(version_num)` holds one row per applied head.
// Applied = everything reachable from the stored heads by walking down; the rest is pending.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationStatusEntry } from '../files/migration-status.js';
import { isDir, listDir, tableExists, tableRef } from './common.js';
import type { FrameworkAdapter } from './types.js';

interface Revision {
  id: string;
  /** down_revision plus depends_on: both must be applied before this one. */
  parents: string[];
  file: string;
  name: string;
}

/** `dir` may be the alembic directory (holding `versions/`) or `versions/` itself. */
function versionsDir(dir: string): string {
  const inner = join(dir, 'versions');
  return isDir(inner) ? inner : dir;
}

/** The right-hand side of `name = ...` or `name: Type = ...` at the start of a line. */
function assigned(src: string, name: string): string | undefined {
  const m = new RegExp(`^${name}\\s*(?::[^=\\n]*)?=[ \\t]*`, 'm').exec(src);
  if (!m) return undefined;
  const rest = src.slice(m.index + m[0].length);
  const open = rest[0];
  // A tuple or list may span lines once a formatter has been through it.
  if (open === '(' || open === '[') return rest.slice(0, rest.indexOf(open === '(' ? ')' : ']') + 1);
  return rest.split('\n')[0]!.replace(/\s+#.*$/, '');
}

function quoted(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [...value.matchAll(/(['"])(.*?)\1/g)].map((m) => m[2]!);
}

export function parseRevision(file: string, src: string): Revision | undefined {
  const id = quoted(assigned(src, 'revision'))[0];
  if (id === undefined || assigned(src, 'down_revision') === undefined) return undefined;
  const parents = [...quoted(assigned(src, 'down_revision')), ...quoted(assigned(src, 'depends_on'))];
  const base = file.replace(/\.py$/, '');
  return { id, parents, file, name: base.startsWith(`${id}_`) ? base.slice(id.length + 1) : base };
}

function loadRevisions(dir: string): { revisions: Revision[]; ignoredFiles: string[] } {
  const vdir = versionsDir(dir);
  const revisions: Revision[] = [];
  const ignoredFiles: string[] = [];
  for (const f of listDir(vdir)) {
    if (!f.endsWith('.py') || f === '__init__.py') continue;
    const rev = parseRevision(f, readFileSync(join(vdir, f), 'utf8'));
    if (rev) revisions.push(rev);
    else ignoredFiles.push(f);
  }
  return { revisions, ignoredFiles };
}

/** Parents before children (base first); among revisions ready at once, file-name order. */
function chainOrder(revisions: Revision[]): Revision[] {
  const byId = new Map(revisions.map((r) => [r.id, r]));
  const waiting = new Map(revisions.map((r) => [r.id, new Set(r.parents.filter((p) => byId.has(p))).size]));
  const order: Revision[] = [];
  const done = new Set<string>();
  while (order.length < revisions.length) {
    const ready = revisions.find((r) => !done.has(r.id) && waiting.get(r.id) === 0);
    // A cycle cannot be ordered; its members go last in file order rather than looping forever.
    const next = ready ?? revisions.find((r) => !done.has(r.id))!;
    done.add(next.id);
    order.push(next);
    for (const r of revisions) {
      if (!done.has(r.id) && r.parents.includes(next.id)) waiting.set(r.id, (waiting.get(r.id) ?? 1) - 1);
    }
  }
  return order;
}

export const alembic: FrameworkAdapter = {
  name: 'alembic',
  detectFiles(dir) {
    return loadRevisions(dir).revisions.length > 0;
  },
  async detectDatabase(client, table) {
    return tableExists(client, tableRef(table, 'alembic_version'));
  },
  async status(client, dir, table) {
    const ref = tableRef(table, 'alembic_version');
    const { revisions, ignoredFiles } = loadRevisions(dir);
    const byId = new Map(revisions.map((r) => [r.id, r]));
    const heads: string[] = [];
    if (await tableExists(client, ref)) {
      const res = await client.query<{ version_num: string }>(`SELECT version_num FROM ${ref.sql}`);
      heads.push(...res.rows.map((r) => r.version_num));
    }
    const applied = new Set<string>();
    const stack = heads.filter((h) => byId.has(h));
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (applied.has(id)) continue;
      applied.add(id);
      for (const p of byId.get(id)!.parents) if (byId.has(p)) stack.push(p);
    }
    const entries: MigrationStatusEntry[] = chainOrder(revisions).map((r) => ({
      version: r.id,
      name: r.name,
      state: applied.has(r.id) ? 'applied' : 'pending',
      file: r.file,
    }));
    for (const h of heads) {
      if (!byId.has(h)) {
        entries.push({
          version: h,
          name: '',
          state: 'missing',
          note: 'stored in alembic_version but no script in versions/ has this revision',
        });
      }
    }
    return { trackingTable: ref.display, entries, ignoredFiles };
  },
};
