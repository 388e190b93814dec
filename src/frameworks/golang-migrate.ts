// golang-migrate: `<version>_<title>.up.sql` / `.down.sql`, and `schema_migrations(version bigint,
// dirty boolean)` holding ONE row, the current version. Everything up to it counts as applied (the tool
// keeps no per-migration history), everything above is pending.
import type { MigrationStatusEntry } from '../files/migration-status.js';
import { byNumericVersion, listDir, schemaMigrationsKind, tableExists, tableRef } from './common.js';
import type { FrameworkAdapter } from './types.js';

const FILE = /^([0-9]+)_(.*)\.(up|down)\.sql$/;

export const golangMigrate: FrameworkAdapter = {
  name: 'golang-migrate',
  detectFiles(dir) {
    return listDir(dir).some((f) => FILE.exec(f)?.[3] === 'up');
  },
  async detectDatabase(client, table) {
    return (await schemaMigrationsKind(client, tableRef(table, 'schema_migrations'))) === 'golang-migrate';
  },
  async status(client, dir, table) {
    const ref = tableRef(table, 'schema_migrations');
    const ups = new Map<string, { version: string; name: string; file: string }>();
    const ignoredFiles: string[] = [];
    for (const f of listDir(dir)) {
      const m = FILE.exec(f);
      if (!m) {
        if (f.endsWith('.sql')) ignoredFiles.push(f);
        continue;
      }
      if (m[3] !== 'up') continue; // down files are not migrations of their own
      const version = BigInt(m[1]!).toString(); // versions are uint64: `0001` is 1
      // golang-migrate refuses duplicate versions; the second file is reported, not counted.
      if (ups.has(version)) ignoredFiles.push(f);
      else ups.set(version, { version, name: m[2]!, file: f });
    }
    let stored: { version: bigint; dirty: boolean } | undefined;
    if (await tableExists(client, ref)) {
      // The same query golang-migrate runs: it only ever looks at one row.
      const res = await client.query<{ version: string; dirty: boolean }>(
        `SELECT version::text AS version, dirty FROM ${ref.sql} LIMIT 1`,
      );
      const row = res.rows[0];
      if (row && /^-?\d+$/.test(row.version) && BigInt(row.version) >= 0n) {
        stored = { version: BigInt(row.version), dirty: row.dirty === true };
      }
    }
    const forceNote = (v: bigint) =>
      `dirty: this migration failed part-way; repair the database by hand, then run \`migrate force ${v}\``;
    const entries: MigrationStatusEntry[] = [];
    for (const u of ups.values()) {
      const v = BigInt(u.version);
      const e: MigrationStatusEntry = { version: u.version, name: u.name, state: 'pending', file: u.file };
      if (stored && v < stored.version) e.state = 'applied';
      else if (stored && v === stored.version) {
        e.state = stored.dirty ? 'failed' : 'applied';
        if (stored.dirty) e.note = forceNote(v);
      }
      entries.push(e);
    }
    if (stored && !ups.has(stored.version.toString())) {
      const v = stored.version;
      entries.push({
        version: v.toString(),
        name: '',
        state: stored.dirty ? 'failed' : 'missing',
        note: `${stored.dirty ? `${forceNote(v)}; ` : ''}the stored version has no .up.sql file`,
      });
    }
    entries.sort((a, b) => byNumericVersion({ ...a, key: a.name }, { ...b, key: b.name }));
    return { trackingTable: ref.display, entries, ignoredFiles };
  },
};
