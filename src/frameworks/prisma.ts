// Prisma Migrate: folders `prisma/migrations/<timestamp>_<name>/migration.sql`, table
// `_prisma_migrations` with one row per attempt. A row counts as applied when finished and not rolled
// back; an unfinished, not rolled back row is a failed migration that blocks `prisma migrate deploy`.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationStatusEntry } from '../files/migration-status.js';
import { isDir, isoTime, listDir, tableExists, tableRef } from './common.js';
import type { FrameworkAdapter } from './types.js';

const FOLDER = /^(\d+)_(.+)$/;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Prisma accepts a checksum computed with either line ending, so a CRLF checkout is not drift. */
function checksumMatches(script: string, checksum: string): boolean {
  const lf = script.replace(/\r\n/g, '\n');
  return [script, lf, lf.replace(/\n/g, '\r\n')].some((s) => sha256(s) === checksum);
}

function split(name: string): { version: string; name: string } {
  const m = FOLDER.exec(name);
  return m ? { version: m[1]!, name: m[2]! } : { version: '', name };
}

interface Row {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

export const prisma: FrameworkAdapter = {
  name: 'prisma',
  detectFiles(dir) {
    return (
      existsSync(join(dir, 'migration_lock.toml')) ||
      listDir(dir).some((f) => FOLDER.test(f) && existsSync(join(dir, f, 'migration.sql')))
    );
  },
  async detectDatabase(client, table) {
    return tableExists(client, tableRef(table, '_prisma_migrations'));
  },
  async status(client, dir, table) {
    const ref = tableRef(table, '_prisma_migrations');
    const folders: string[] = [];
    const ignoredFiles: string[] = [];
    for (const f of listDir(dir)) {
      const path = join(dir, f);
      if (FOLDER.test(f) && existsSync(join(path, 'migration.sql'))) folders.push(f);
      else if (isDir(path) || f.endsWith('.sql')) ignoredFiles.push(f);
    }
    const rows: Row[] = [];
    if (await tableExists(client, ref)) {
      const res = await client.query<Row>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at FROM ${ref.sql} ORDER BY started_at`,
      );
      rows.push(...res.rows);
    }
    // Rolled-back rows are history only: the folder is pending again.
    const live = rows.filter((r) => r.rolled_back_at === null);
    const names = new Set([...folders, ...live.map((r) => r.migration_name)]);
    const entries: MigrationStatusEntry[] = [];
    // Prisma applies folders in name order (the timestamp prefix).
    for (const name of [...names].sort()) {
      const e: MigrationStatusEntry = { ...split(name), state: 'pending' };
      const hasFile = folders.includes(name);
      if (hasFile) e.file = `${name}/migration.sql`;
      const mine = live.filter((r) => r.migration_name === name);
      const failed = mine.find((r) => r.finished_at === null);
      const done = mine.find((r) => r.finished_at !== null);
      if (failed) {
        e.state = 'failed';
        e.note = 'started but never finished: resolve it with `prisma migrate resolve`';
      } else if (done) {
        const at = isoTime(done.finished_at);
        if (at) e.appliedAt = at;
        if (!hasFile) {
          e.state = 'missing';
          e.note = 'recorded in _prisma_migrations but its folder is gone';
        } else if (!checksumMatches(readFileSync(join(dir, name, 'migration.sql'), 'utf8'), done.checksum)) {
          e.state = 'drifted';
          e.note = `migration.sql changed after it was applied (recorded checksum ${done.checksum.slice(0, 12)}…)`;
        } else e.state = 'applied';
      }
      entries.push(e);
    }
    return { trackingTable: ref.display, entries, ignoredFiles };
  },
};
