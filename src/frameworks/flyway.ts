// Flyway: versioned `V<version>__<description>.sql` files (searched recursively, as Flyway scans its
// locations), table `flyway_schema_history`. Versions are dotted numbers (`1.2` = `1_2` = `1.2.0`).
// Undo (U), baseline (B) and repeatable (R__) scripts never count as pending: they are listed as ignored.
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import {
  type AppliedRow,
  type FileItem,
  isDir,
  isoTime,
  reconcile,
  tableExists,
  tableRef,
} from './common.js';
import type { FrameworkAdapter } from './types.js';

const VERSIONED = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/;

/** Flyway's normal form: numeric parts, trailing zero parts dropped, so `1.0` and `1` are one version. */
export function flywayVersion(raw: string): string {
  const parts = raw.split(/[._]/).map((p) => BigInt(p));
  while (parts.length > 1 && parts[parts.length - 1] === 0n) parts.pop();
  return parts.join('.');
}

/** Part by part, numerically: 1.10 is after 1.9. */
export function compareFlyway(a: { key: string }, b: { key: string }): number {
  const x = a.key.split('.').map((p) => (/^\d+$/.test(p) ? BigInt(p) : -1n));
  const y = b.key.split('.').map((p) => (/^\d+$/.test(p) ? BigInt(p) : -1n));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? 0n;
    const q = y[i] ?? 0n;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

function sqlFiles(dir: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

interface HistoryRow {
  version: string | null;
  description: string | null;
  type: string;
  installed_by: string | null;
  installed_on: unknown;
  execution_time: number | null;
  success: boolean;
}

export const flyway: FrameworkAdapter = {
  name: 'flyway',
  detectFiles(dir) {
    return sqlFiles(dir).some((f) => VERSIONED.test(basename(f)));
  },
  async detectDatabase(client, table) {
    return tableExists(client, tableRef(table, 'flyway_schema_history'));
  },
  async status(client, dir, table) {
    const ref = tableRef(table, 'flyway_schema_history');
    const files: FileItem[] = [];
    const ignoredFiles: string[] = [];
    for (const f of sqlFiles(dir)) {
      const m = VERSIONED.exec(basename(f));
      if (!m) ignoredFiles.push(f);
      else {
        const key = flywayVersion(m[1]!);
        files.push({ key, version: key, name: m[2]!.replace(/_/g, ' '), file: f });
      }
    }
    const applied = new Map<string, AppliedRow>();
    let baseline: string | undefined;
    if (await tableExists(client, ref)) {
      const res = await client.query<HistoryRow>(
        `SELECT version, description, type, installed_by, installed_on, execution_time, success
           FROM ${ref.sql} ORDER BY installed_rank`,
      );
      // Replayed in installed order, so a later undo or repair-delete cancels an earlier apply.
      for (const r of res.rows) {
        if (r.version === null || r.type === 'SCHEMA') continue; // repeatables and the schema marker
        const key = /^\d+(?:[._]\d+)*$/.test(r.version) ? flywayVersion(r.version) : r.version;
        if (r.type === 'BASELINE') {
          if (r.success) baseline = key;
        } else if (r.type === 'DELETE' || (r.type.startsWith('UNDO') && r.success)) {
          applied.delete(key);
        } else if (!r.type.startsWith('UNDO')) {
          const row: AppliedRow = {
            key,
            version: key,
            name: r.description ?? '',
            state: r.success ? 'applied' : 'failed',
          };
          if (!r.success)
            row.note = 'success = false in flyway_schema_history: fix it, then run `flyway repair`';
          const at = isoTime(r.installed_on);
          if (at) row.appliedAt = at;
          if (r.installed_by) row.appliedBy = r.installed_by;
          if (r.execution_time !== null) row.durationMs = r.execution_time;
          applied.set(key, row);
        }
      }
    }
    // Files at or below the baseline are treated by Flyway as already in the schema, never pending.
    if (baseline !== undefined) {
      const b = { key: baseline };
      for (const f of files) {
        if (!applied.has(f.key) && compareFlyway(f, b) <= 0) {
          applied.set(f.key, {
            ...f,
            state: 'applied',
            note: `at or below the baseline version ${baseline}`,
          });
        }
      }
    }
    const entries = reconcile(files, [...applied.values()], { compare: compareFlyway, outOfOrder: true });
    return { trackingTable: ref.display, entries, ignoredFiles };
  },
};
