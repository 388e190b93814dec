// The status of every migration as a tracker reports it: pgward's own (src/migrate/status.ts) and each
// framework adapter (src/frameworks) answer in this one model, so status, doctor and serve read any of them.
import type { FrameworkName } from '../config/frameworks.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';

/** Who holds pgward's migration lock (src/migrate/lock.ts reads it from pg_stat_activity). */
export interface LockHolder {
  pid: number;
  applicationName: string;
  user: string;
  clientAddr: string | null;
  backendStart: Date;
  /** Start of the holder's current transaction (null when idle outside one). */
  xactStart: Date | null;
  /** active / idle / idle in transaction …, and since when. */
  state: string | null;
  stateChange: Date | null;
}

export type MigrationState =
  | 'applied'
  | 'pending'
  | 'drifted'
  | 'missing'
  | 'out-of-order'
  | 'partial'
  | 'failed';

/** States that mean the history and the files disagree: someone must look before migrating. */
export const ATTENTION_STATES: ReadonlySet<MigrationState> = new Set([
  'drifted',
  'missing',
  'out-of-order',
  'partial',
  'failed',
]);

export interface MigrationStatusEntry {
  version: string;
  name: string;
  state: MigrationState;
  /** For `partial`: whether the migration (up) or its rollback (down) stopped part-way. */
  direction?: 'up' | 'down';
  /** Path of the file, relative to the migrations dir; absent for `missing`. */
  file?: string;
  appliedAt?: string;
  appliedBy?: string;
  durationMs?: number;
  /** Why the state needs attention (e.g. the recorded and current checksum). */
  note?: string;
}

export interface StatusCounts {
  applied: number;
  pending: number;
  drifted: number;
  missing: number;
  outOfOrder: number;
  partial: number;
  failed: number;
}

export interface StatusReport {
  env: string | undefined;
  /** The database URL with its password redacted. */
  database: string;
  framework: FrameworkName;
  /** Tracking table that was read (e.g. pgward.migrations, schema_migrations). */
  trackingTable: string;
  dir: string;
  entries: MigrationStatusEntry[];
  counts: StatusCounts;
  /** Pending migrations in the order they would run (includes out-of-order ones). */
  pending: { version: string; name: string }[];
  /** .sql files ignored because their name does not follow the pattern. */
  ignoredFiles: string[];
  /** Who holds pgward's migration lock right now (a run in progress, or an orphaned one), or null. */
  migrationLock: LockHolder | null;
  exitCode: ExitCodeValue;
}

export function countStates(entries: MigrationStatusEntry[]): StatusCounts {
  const c: StatusCounts = {
    applied: 0,
    pending: 0,
    drifted: 0,
    missing: 0,
    outOfOrder: 0,
    partial: 0,
    failed: 0,
  };
  for (const e of entries) {
    if (e.state === 'applied') c.applied++;
    else if (e.state === 'pending') c.pending++;
    else if (e.state === 'drifted') c.drifted++;
    else if (e.state === 'missing') c.missing++;
    else if (e.state === 'out-of-order') c.outOfOrder++;
    else if (e.state === 'partial') c.partial++;
    else if (e.state === 'failed') c.failed++;
  }
  return c;
}

/** 0 up to date, 3 pending, 4 drift / missing / out-of-order / partial / failed. */
export function statusExitCode(entries: MigrationStatusEntry[]): ExitCodeValue {
  if (entries.some((e) => ATTENTION_STATES.has(e.state))) return ExitCode.drift;
  if (entries.some((e) => e.state === 'pending')) return ExitCode.pending;
  return ExitCode.ok;
}
