// node-pg-migrate: `<timestamp>_<name>.(js|ts|sql|cjs|mjs)`, table `pgmigrations(name, run_on)` where
// name is the file's basename without extension; migrations run sorted by their numeric prefix.
import {
  type AppliedRow,
  byNumericVersion,
  type FileItem,
  isoTime,
  listDir,
  reconcile,
  tableExists,
  tableRef,
} from './common.js';
import type { FrameworkAdapter } from './types.js';

const FILE = /^(\d+)_(.+)\.(js|ts|sql|cjs|mjs)$/;
const CANDIDATE = /\.(js|ts|sql|cjs|mjs)$/;
const DECLARATION = /\.d\.[cm]?ts$/;
const NAME = /^(\d+)_(.*)$/;
/** golang-migrate's `<v>_<title>.up.sql` also fits FILE; such files are not taken as node-pg-migrate's. */
const GOLANG_STYLE = /\.(up|down)\.sql$/;

export const nodePgMigrate: FrameworkAdapter = {
  name: 'node-pg-migrate',
  detectFiles(dir) {
    return listDir(dir).some((f) => FILE.test(f) && !DECLARATION.test(f) && !GOLANG_STYLE.test(f));
  },
  async detectDatabase(client, table) {
    return tableExists(client, tableRef(table, 'pgmigrations'));
  },
  async status(client, dir, table) {
    const ref = tableRef(table, 'pgmigrations');
    const files: FileItem[] = [];
    const ignoredFiles: string[] = [];
    for (const f of listDir(dir)) {
      const m = FILE.exec(f);
      // Type declarations next to compiled migrations are not migrations.
      if (m && !DECLARATION.test(f))
        files.push({ key: `${m[1]}_${m[2]}`, version: m[1]!, name: m[2]!, file: f });
      else if (CANDIDATE.test(f)) ignoredFiles.push(f);
    }
    const rows: AppliedRow[] = [];
    if (await tableExists(client, ref)) {
      const res = await client.query<{ name: string; run_on: unknown }>(
        `SELECT name, run_on FROM ${ref.sql} ORDER BY id`,
      );
      for (const r of res.rows) {
        const m = NAME.exec(r.name);
        const row: AppliedRow = {
          key: r.name,
          version: m?.[1] ?? '',
          name: m?.[2] ?? r.name,
          state: 'applied',
        };
        const at = isoTime(r.run_on);
        if (at) row.appliedAt = at;
        rows.push(row);
      }
    }
    const entries = reconcile(files, rows, { compare: byNumericVersion, outOfOrder: true });
    return { trackingTable: ref.display, entries, ignoredFiles };
  },
};
