// Compares the migration files with pgward's history: applied, pending, drifted, missing, out-of-order.
// (What a run would then do — pending list, statements, gate — is decided in planning.ts.)
import { basename } from 'node:path';
import { ExitCode, PgwardError } from '../errors.js';
import { compareVersions, type MigrationFile } from '../files/migration-files.js';
import type { MigrationStatusEntry } from '../files/migration-status.js';
import type { AppliedMigration, PartialMigration } from './history.js';

export interface Comparison {
  entries: MigrationStatusEntry[];
  /** Files to apply, in version order (out-of-order ones included). */
  pendingFiles: MigrationFile[];
  drifted: MigrationStatusEntry[];
  missing: MigrationStatusEntry[];
  outOfOrder: MigrationStatusEntry[];
  partial: MigrationStatusEntry[];
}

function describeProgress(p: PartialMigration): string {
  return `${p.statementsDone} of ${p.statementsTotal} statements${p.failedLine ? ` (line ${p.failedLine})` : ''}${
    p.error ? `: ${p.error}` : ''
  }`;
}

/** One file's status entry, and whether it is still to be applied (pending, out of order, or partial up). */
function fileEntry(
  f: MigrationFile,
  a: AppliedMigration | undefined,
  p: PartialMigration | undefined,
  maxApplied: string | undefined,
): { entry: MigrationStatusEntry; pending: boolean } {
  const file = basename(f.path);
  if (a && p?.direction === 'down') {
    // Still recorded as applied, but part of its down section ran: neither state is true.
    return {
      pending: false,
      entry: {
        version: f.version,
        name: f.name,
        state: 'partial',
        direction: 'down',
        file,
        appliedAt: a.appliedAt.toISOString(),
        appliedBy: a.appliedBy,
        durationMs: a.durationMs,
        note: `rollback stopped after ${describeProgress(p)}`,
      },
    };
  }
  if (a) {
    const drifted = a.checksum !== f.checksum;
    return {
      pending: false,
      entry: {
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
      },
    };
  }
  if (p) {
    return {
      pending: true,
      entry: {
        version: f.version,
        name: f.name,
        state: 'partial',
        direction: 'up',
        file,
        note: `no-transaction migration stopped after ${describeProgress(p)}`,
      },
    };
  }
  const outOfOrder = maxApplied !== undefined && compareVersions(f.version, maxApplied) < 0;
  return {
    pending: true,
    entry: {
      version: f.version,
      name: f.name,
      state: outOfOrder ? 'out-of-order' : 'pending',
      file,
      ...(outOfOrder ? { note: `older than the newest applied migration ${maxApplied}` } : {}),
    },
  };
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
    const { entry, pending } = fileEntry(
      f,
      byVersion.get(f.version),
      partialByVersion.get(f.version),
      maxApplied,
    );
    entries.push(entry);
    if (pending) pendingFiles.push(f);
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

/**
 * Part of a no-transaction file ran: the database is in neither the before nor the after state, so
 * nothing else runs until a person looked and retried that exact direction (exit 4).
 */
export function refusePartials(
  partial: MigrationStatusEntry[],
  opts: { command: 'migrate' | 'rollback'; retryUp: boolean; retryDown: boolean },
): void {
  const verb = opts.command === 'rollback' ? 'roll back' : 'migrate';
  const list = (es: MigrationStatusEntry[]) =>
    es.map((e) => `${e.version}_${e.name} (${e.note ?? 'partial'})`).join('; ');
  const down = partial.filter((p) => p.direction === 'down');
  const up = partial.filter((p) => p.direction !== 'down');
  if (down.length && !opts.retryDown) {
    throw new PgwardError(`refusing to ${verb}: a rollback stopped part-way: ${list(down)}`, {
      exitCode: ExitCode.drift,
      hint: 'check what those down statements left behind, then finish it with `pgward rollback --retry-partial` (the down section runs again from its first statement, so make it idempotent)',
    });
  }
  if (up.length && !opts.retryUp) {
    throw new PgwardError(`refusing to ${verb}: no-transaction migrations stopped part-way: ${list(up)}`, {
      exitCode: ExitCode.drift,
      hint: 'check what those statements left behind, then rerun `pgward migrate --retry-partial` (the file runs again from its first statement, so make it idempotent)',
    });
  }
}
