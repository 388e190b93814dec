// Compares the migration files with pgward's history: applied, pending, drifted, missing, out-of-order.
import { basename } from 'node:path';
import { compareVersions, type MigrationFile } from './files.js';
import type { AppliedMigration, PartialMigration } from './history.js';
import type { MigrationStatusEntry } from './status-types.js';

export interface Comparison {
  entries: MigrationStatusEntry[];
  /** Files to apply, in version order (out-of-order ones included). */
  pendingFiles: MigrationFile[];
  drifted: MigrationStatusEntry[];
  missing: MigrationStatusEntry[];
  outOfOrder: MigrationStatusEntry[];
  partial: MigrationStatusEntry[];
}

export function compare(
  files: MigrationFile[],
  applied: AppliedMigration[],
  partial: PartialMigration[] = [],
): Comparison {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const partialByVersion = new Map(partial.map((p) => [p.version, p]));
  const fileVersions = new Set(files.map((f) => f.version));
  const maxApplied = applied.reduce<string | undefined>(
    (max, a) => (max === undefined || compareVersions(a.version, max) > 0 ? a.version : max),
    undefined,
  );
  const entries: MigrationStatusEntry[] = [];
  const pendingFiles: MigrationFile[] = [];
  for (const f of files) {
    const a = byVersion.get(f.version);
    const file = basename(f.path);
    if (a) {
      const drifted = a.checksum !== f.checksum;
      entries.push({
        version: f.version,
        name: f.name,
        state: drifted ? 'drifted' : 'applied',
        file,
        appliedAt: a.appliedAt.toISOString(),
        appliedBy: a.appliedBy,
        durationMs: a.durationMs,
        ...(drifted
          ? {
              note: `file changed since it was applied (sha256 ${a.checksum.slice(0, 12)}… → ${f.checksum.slice(0, 12)}…)`,
            }
          : {}),
      });
      continue;
    }
    const p = partialByVersion.get(f.version);
    if (p) {
      entries.push({
        version: f.version,
        name: f.name,
        state: 'partial',
        file,
        note: `no-transaction migration stopped after ${p.statementsDone} of ${p.statementsTotal} statements${
          p.failedLine ? ` (line ${p.failedLine})` : ''
        }${p.error ? `: ${p.error}` : ''}`,
      });
      pendingFiles.push(f);
      continue;
    }
    const outOfOrder = maxApplied !== undefined && compareVersions(f.version, maxApplied) < 0;
    entries.push({
      version: f.version,
      name: f.name,
      state: outOfOrder ? 'out-of-order' : 'pending',
      file,
      ...(outOfOrder ? { note: `older than the newest applied migration ${maxApplied}` } : {}),
    });
    pendingFiles.push(f);
  }
  for (const a of applied) {
    if (fileVersions.has(a.version)) continue;
    entries.push({
      version: a.version,
      name: a.name,
      state: 'missing',
      appliedAt: a.appliedAt.toISOString(),
      appliedBy: a.appliedBy,
      durationMs: a.durationMs,
      note: 'applied, but its file is gone',
    });
  }
  entries.sort((x, y) => compareVersions(x.version, y.version));
  return {
    entries,
    pendingFiles,
    drifted: entries.filter((e) => e.state === 'drifted'),
    missing: entries.filter((e) => e.state === 'missing'),
    outOfOrder: entries.filter((e) => e.state === 'out-of-order'),
    partial: entries.filter((e) => e.state === 'partial'),
  };
}
