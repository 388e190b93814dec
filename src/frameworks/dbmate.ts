// dbmate: `<version>_<description>.sql` files, `schema_migrations(version varchar)` with one row per
// applied version. pgward's own file format is the same, so detection leans on the database (index.ts).
import { FILE_PATTERN } from '../files/migration-files.js';
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

/** golang-migrate's `<v>_<title>.up.sql` also fits FILE_PATTERN; it is not taken as a sign of dbmate. */
const GOLANG_STYLE = /\.(up|down)\.sql$/;

export const dbmate: FrameworkAdapter = {
  name: 'dbmate',
  detectFiles(dir) {
    return listDir(dir).some((f) => FILE_PATTERN.test(f) && !GOLANG_STYLE.test(f));
  },
  async detectDatabase(client, table) {
    return (await schemaMigrationsKind(client, tableRef(table, 'schema_migrations'))) === 'dbmate';
  },
  async status(client, dir, table) {
    const ref = tableRef(table, 'schema_migrations');
    const files: FileItem[] = [];
    const ignoredFiles: string[] = [];
    for (const f of listDir(dir)) {
      if (!f.endsWith('.sql')) continue;
      const m = FILE_PATTERN.exec(f);
      if (!m) ignoredFiles.push(f);
      // dbmate compares the version as the string in the file name, so `001` and `1` are different.
      else files.push({ key: m[1]!, version: m[1]!, name: m[2]!, file: f });
    }
    const rows: AppliedRow[] = [];
    if (await tableExists(client, ref)) {
      const res = await client.query<{ version: string }>(`SELECT version::text AS version FROM ${ref.sql}`);
      for (const r of res.rows) rows.push({ key: r.version, version: r.version, name: '', state: 'applied' });
    }
    const entries = reconcile(files, rows, { compare: byNumericVersion, outOfOrder: true });
    return { trackingTable: ref.display, entries, ignoredFiles };
  },
};
