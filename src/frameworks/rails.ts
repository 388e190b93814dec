// Rails Active Record: `db/migrate/<version>_<name>.rb`, `schema_migrations(version varchar)`; the
// `ar_internal_metadata` table beside it is what tells Rails apart from dbmate in the database.
import {
  type AppliedRow,
  byNumericVersion,
  type FileItem,
  listDir,
  reconcile,
  schemaMigrationsKind,
  tableExists,
  tableRef,
} from './common.js';
import type { FrameworkAdapter } from './types.js';

// Rails' own pattern; the optional third part is an engine scope (`20240101_add_x.my_engine.rb`).
const RB = /^([0-9]+)_([_a-z0-9]*)\.?([_a-z0-9]*)?\.rb$/;

/** Rails compares versions as integers (`integer_versions`), so `0042` in a file matches `42` in the table. */
function key(version: string): string {
  return /^\d+$/.test(version) ? BigInt(version).toString() : version;
}

export const rails: FrameworkAdapter = {
  name: 'rails',
  detectFiles(dir) {
    return listDir(dir).some((f) => RB.test(f));
  },
  async detectDatabase(client, table) {
    return (await schemaMigrationsKind(client, tableRef(table, 'schema_migrations'))) === 'rails';
  },
  async status(client, dir, table) {
    const ref = tableRef(table, 'schema_migrations');
    const files: FileItem[] = [];
    const ignoredFiles: string[] = [];
    for (const f of listDir(dir)) {
      const m = RB.exec(f);
      if (m) files.push({ key: key(m[1]!), version: m[1]!, name: m[3] ? `${m[2]}.${m[3]}` : m[2]!, file: f });
      else if (f.endsWith('.rb') || f.endsWith('.sql')) ignoredFiles.push(f);
    }
    const rows: AppliedRow[] = [];
    if (await tableExists(client, ref)) {
      const res = await client.query<{ version: string }>(`SELECT version::text AS version FROM ${ref.sql}`);
      for (const r of res.rows)
        rows.push({ key: key(r.version), version: r.version, name: '', state: 'applied' });
    }
    const entries = reconcile(files, rows, { compare: byNumericVersion, outOfOrder: true });
    return { trackingTable: ref.display, entries, ignoredFiles };
  },
};
