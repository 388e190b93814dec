// Knex: any `.js/.ts/.cjs/.mjs` file in the directory, table `knex_migrations(name, batch,
// migration_time)` with `knex_migrations_lock` beside it. The identity is the full file name INCLUDING
// the extension, so a project compiled from .ts to .js looks like a different set of migrations.
import {
  type AppliedRow,
  type FileItem,
  isoTime,
  listDir,
  reconcile,
  sibling,
  tableExists,
  tableRef,
} from './common.js';
import type { FrameworkAdapter } from './types.js';

const FILE = /\.(js|ts|cjs|mjs)$/;
const DECLARATION = /\.d\.[cm]?ts$/;
const LEADING_DIGITS = /^(\d*)_?(.*?)\.[^.]+$/;

function item(filename: string): FileItem {
  const m = LEADING_DIGITS.exec(filename);
  return { key: filename, version: m?.[1] ?? '', name: m?.[2] ?? filename, file: filename };
}

/** Knex runs migrations sorted by file name (plain string order), not by any parsed version. */
function byFilename(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function stem(filename: string): string {
  return filename.replace(/\.[^.]+$/, '');
}

export const knex: FrameworkAdapter = {
  name: 'knex',
  detectFiles(dir) {
    return listDir(dir).some((f) => FILE.test(f) && !DECLARATION.test(f));
  },
  async detectDatabase(client, table) {
    const ref = tableRef(table, 'knex_migrations');
    // Knex creates both tables together; requiring the lock table too avoids claiming a stray table.
    return (await tableExists(client, ref)) && (await tableExists(client, sibling(ref, `${ref.name}_lock`)));
  },
  async status(client, dir, table) {
    const ref = tableRef(table, 'knex_migrations');
    const files: FileItem[] = [];
    const ignoredFiles: string[] = [];
    for (const f of listDir(dir)) {
      if (FILE.test(f) && !DECLARATION.test(f)) files.push(item(f));
      else if (f.endsWith('.sql') || DECLARATION.test(f)) ignoredFiles.push(f);
    }
    const stems = new Map(files.map((f) => [stem(f.file), f.file]));
    const rows: AppliedRow[] = [];
    if (await tableExists(client, ref)) {
      const res = await client.query<{ name: string; migration_time: unknown }>(
        `SELECT name, migration_time FROM ${ref.sql} ORDER BY id`,
      );
      for (const r of res.rows) {
        const row: AppliedRow = { ...item(r.name), state: 'applied' };
        const at = isoTime(r.migration_time);
        if (at) row.appliedAt = at;
        // The commonest cause of a "missing" Knex migration: the same file under another extension.
        const twin = stems.get(stem(r.name));
        if (twin && twin !== r.name) row.note = `recorded as ${r.name} but the file is ${twin}`;
        rows.push(row);
      }
    }
    const entries = reconcile(files, rows, { compare: byFilename, outOfOrder: true });
    return { trackingTable: ref.display, entries, ignoredFiles };
  },
};
