import type { CheckId } from '../config/sections/doctor.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** One line a human reads first: the figure and what it is compared with. */
  summary: string;
  /** The figure judged (ms, ratio, count... see unit), when there is one. */
  value?: number | null;
  unit?: 'ms' | 'ratio' | 'count' | 'bytes' | 'transactions' | 'days';
  /** Offending objects or sessions (capped), for the report's detail lines. */
  details?: string[];
  /** What to do about it, when not passing. */
  hint?: string;
}

export interface PendingMigration {
  version: string;
  name: string;
  /** When pgward first saw it pending (serve records it), else the file's modification time. */
  pendingSince: string | null;
}

export interface MigrationsInfo {
  framework: string;
  trackingTable: string;
  pending: PendingMigration[];
  /** Drifted, missing, partial or failed entries: someone must look. */
  /** direction: for `partial`, whether a migration (up) or a rollback (down) stopped part-way. */
  attention: { version: string; name: string; state: string; direction?: 'up' | 'down' }[];
  applied: number;
  /** Age of the oldest pending migration, ms (null when none or unknown). */
  oldestPendingMs: number | null;
  error?: string;
}

export interface BackupsInfo {
  storage: string;
  count: number;
  lastSuccessAt: string | null;
  lastSizeBytes: number | null;
  lastDrillPassedAt: string | null;
  /** The most recent drill, whatever its outcome. */
  lastDrill: { at: string; ok: boolean; backupId: string; firstDifference: string | null } | null;
  error?: string;
}

export interface TopQuery {
  queryid: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  query: string;
}

/** Core figures for /metrics: cheap, read at every refresh. */
export interface Figures {
  serverVersionNum: number;
  serverVersion: string;
  inRecovery: boolean;
  latencyMs: number;
  maxConnections: number;
  connectionsByState: Record<string, number>;
  databaseSizeBytes: number;
  xactCommit: number;
  xactRollback: number;
  blksRead: number;
  blksHit: number;
  deadlocks: number;
  tempBytes: number;
  conflicts: number;
  cacheHitRatio: number | null;
  xidAge: number;
  mxidAge: number;
  longestIdleInTransactionMs: number;
  longestQueryMs: number;
  longestLockWaitMs: number;
  lockWaiters: number;
  sequenceMaxUsedRatio: number;
  replication: { name: string; lagMs: number | null; lagBytes: number | null }[];
  replicaLagMs: number | null;
  slots: { name: string; active: boolean; retainedBytes: number | null }[];
  checkpointsTimed: number | null;
  checkpointsRequested: number | null;
}

export interface DoctorReport {
  env: string | undefined;
  /** Database URL, password redacted. */
  database: string;
  checkedAt: string;
  durationMs: number;
  /** False when the database could not be reached: every database check is then skipped. */
  connected: boolean;
  status: 'pass' | 'warn' | 'fail';
  checks: CheckResult[];
  figures: Figures | null;
  migrations: MigrationsInfo | null;
  backups: BackupsInfo | null;
  topQueries: TopQuery[] | null;
}
