// Default doctor thresholds and their resolution from an environment's `doctor:` section. Defaults
// follow check_postgres, postgres_exporter's alert mixin and pgwatch where they agree, and lean to the
// stricter side for what breaks production (wraparound, sequences, lock waits); see docs/doctor.md.
import { parseDuration } from '../config/duration.js';
import type { RawDoctor } from '../config/sections/doctor.js';

export interface Pair {
  warn: number;
  fail: number;
}

export interface Thresholds {
  /** Round trip of `SELECT 1`, ms. */
  latencyMs: Pair;
  /** Days before the major version's end of life that turn the check to warn; past it, fail. */
  eolWarnDays: number;
  /** Client connections / max_connections. */
  connections: Pair;
  /** Longest session idle in a transaction, ms. */
  idleInTransactionMs: Pair;
  /** Longest running query, ms. */
  longQueryMs: Pair;
  /** Longest time a query has waited for a lock held by another session, ms. */
  lockWaitMs: Pair;
  /** Below these ratios of blocks served from shared buffers; judged only past minBlocks accesses. */
  cacheHitRatio: Pair & { minBlocks: number };
  /** age(datfrozenxid) / mxid_age(datminmxid), in transactions (wraparound at ~2.1 billion). */
  wraparound: Pair;
  /** Fraction of a sequence (or of its owning column's type) already used. */
  sequences: Pair;
  /** Dead tuples / (live + dead), for tables with at least minDead dead tuples. */
  deadTuples: Pair & { minDead: number };
  /** Unused (never scanned, not unique) indexes at least this big are reported. */
  unusedIndexMinBytes: number;
  /** Replay lag of a standby (primary side) or of this server (standby side), ms. */
  replicationLagMs: Pair;
  /** WAL retained by a replication slot, bytes (an inactive slot is at least a warning). */
  slotRetainedBytes: Pair;
  /** How long a migration may stay pending: warn as soon as one is, fail past this many ms. */
  pendingFailMs: number;
  /** Age of the newest backup, ms. */
  backupAgeMs: Pair;
  /** Age of the newest passed restore drill, ms. */
  drillAgeMs: Pair;
  /** How many statements the top-queries check lists. */
  topQueries: number;
  /** Checks turned off for this environment (by id). */
  disabled: string[];
}

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export const DEFAULT_THRESHOLDS: Thresholds = {
  latencyMs: { warn: 100, fail: 1000 },
  eolWarnDays: 180,
  connections: { warn: 0.8, fail: 0.95 },
  idleInTransactionMs: { warn: MIN, fail: 10 * MIN },
  longQueryMs: { warn: 5 * MIN, fail: 30 * MIN },
  lockWaitMs: { warn: 30_000, fail: 5 * MIN },
  cacheHitRatio: { warn: 0.95, fail: 0.9, minBlocks: 10_000 },
  wraparound: { warn: 1_000_000_000, fail: 1_400_000_000 },
  sequences: { warn: 0.75, fail: 0.9 },
  deadTuples: { warn: 0.2, fail: 0.5, minDead: 10_000 },
  unusedIndexMinBytes: 10 * 1024 * 1024,
  replicationLagMs: { warn: 30_000, fail: 5 * MIN },
  slotRetainedBytes: { warn: 1024 ** 3, fail: 10 * 1024 ** 3 },
  pendingFailMs: 15 * MIN,
  backupAgeMs: { warn: 26 * HOUR, fail: 50 * HOUR },
  drillAgeMs: { warn: 8 * DAY, fail: 15 * DAY },
  topQueries: 5,
  disabled: [],
};

const ms = (v: string | number | undefined, base: number): number =>
  v === undefined ? base : (parseDuration(v) ?? Number.POSITIVE_INFINITY);

function durPair(raw: { warn?: string | number; fail?: string | number } | undefined, base: Pair): Pair {
  return { warn: ms(raw?.warn, base.warn), fail: ms(raw?.fail, base.fail) };
}
function numPair(raw: { warn?: number; fail?: number } | undefined, base: Pair): Pair {
  return { warn: raw?.warn ?? base.warn, fail: raw?.fail ?? base.fail };
}

/** Defaults overridden by an environment's `doctor:` section. */
export function resolveThresholds(raw: RawDoctor | undefined): Thresholds {
  const d = DEFAULT_THRESHOLDS;
  if (!raw) return { ...d, disabled: [] };
  return {
    latencyMs: durPair(raw.latency, d.latencyMs),
    eolWarnDays: raw.version_eol?.warn_days ?? d.eolWarnDays,
    connections: numPair(raw.connections, d.connections),
    idleInTransactionMs: durPair(raw.idle_in_transaction, d.idleInTransactionMs),
    longQueryMs: durPair(raw.long_queries, d.longQueryMs),
    lockWaitMs: durPair(raw.lock_waits, d.lockWaitMs),
    cacheHitRatio: {
      ...numPair(raw.cache_hit_ratio, d.cacheHitRatio),
      minBlocks: raw.cache_hit_ratio?.min_blocks ?? d.cacheHitRatio.minBlocks,
    },
    wraparound: numPair(raw.wraparound, d.wraparound),
    sequences: numPair(raw.sequences, d.sequences),
    deadTuples: {
      ...numPair(raw.dead_tuples, d.deadTuples),
      minDead: raw.dead_tuples?.min_dead ?? d.deadTuples.minDead,
    },
    unusedIndexMinBytes: raw.unused_indexes?.min_bytes ?? d.unusedIndexMinBytes,
    replicationLagMs: durPair(raw.replication_lag, d.replicationLagMs),
    slotRetainedBytes: numPair(raw.replication_slots, d.slotRetainedBytes),
    pendingFailMs: ms(raw.pending_migrations?.fail_after, d.pendingFailMs),
    backupAgeMs: durPair(raw.backup_age, d.backupAgeMs),
    drillAgeMs: durPair(raw.drill_age, d.drillAgeMs),
    topQueries: raw.top_queries?.limit ?? d.topQueries,
    disabled: raw.disabled ?? [],
  };
}

/** pass / warn / fail for a value where higher is worse. */
export function judgeHigh(value: number, t: Pair): 'pass' | 'warn' | 'fail' {
  return value >= t.fail ? 'fail' : value >= t.warn ? 'warn' : 'pass';
}
/** pass / warn / fail for a value where lower is worse. */
export function judgeLow(value: number, t: Pair): 'pass' | 'warn' | 'fail' {
  return value < t.fail ? 'fail' : value < t.warn ? 'warn' : 'pass';
}
