// Checks on data and maintenance: cache hit ratio, wraparound, sequences, dead tuples, invalid and
// unused indexes.
import { formatBytes, formatPercent, formatThousands } from '../format/units.js';
import type { DatabaseStats, Wraparound } from './probe-database.js';
import type { DeadTuples, SequenceUse, UnusedIndex } from './probe-tables.js';
import { judgeHigh, judgeLow, type Thresholds } from './thresholds.js';
import type { CheckResult } from './types.js';

export function cacheHitRatio(d: DatabaseStats, t: Thresholds): CheckResult {
  const total = d.blksHit + d.blksRead;
  const ratio = total > 0 ? d.blksHit / total : null;
  const base = {
    id: 'cache_hit_ratio' as const,
    title: 'Cache hit ratio',
    unit: 'ratio' as const,
    value: ratio,
  };
  if (ratio === null || total < t.cacheHitRatio.minBlocks) {
    return {
      ...base,
      status: 'pass',
      summary: `${ratio === null ? 'no' : formatThousands(total)} block reads since the statistics reset: too few to judge (under ${formatThousands(t.cacheHitRatio.minBlocks)})`,
    };
  }
  const status = judgeLow(ratio, t.cacheHitRatio);
  return {
    ...base,
    status,
    summary: `${formatPercent(ratio)} of block reads served from shared buffers (warn < ${formatPercent(t.cacheHitRatio.warn)})`,
    ...(status !== 'pass'
      ? { hint: 'the working set does not fit shared_buffers, or queries scan too much' }
      : {}),
  };
}

export function wraparoundCheck(w: Wraparound, t: Thresholds): CheckResult {
  const worst = Math.max(w.xid.age, w.mxid.age);
  const status = judgeHigh(worst, t.wraparound);
  return {
    id: 'wraparound',
    title: 'Transaction ID and multixact wraparound',
    status,
    value: worst,
    unit: 'transactions',
    summary: `oldest xid age ${formatThousands(w.xid.age)} (${w.xid.datname}), multixact age ${formatThousands(w.mxid.age)} (${w.mxid.datname}); wraparound at ~2.1 billion, warn ≥ ${formatThousands(t.wraparound.warn)}`,
    ...(status !== 'pass'
      ? {
          hint: `VACUUM (FREEZE) the oldest tables of ${w.xid.datname}; look for long transactions and stale slots`,
        }
      : {}),
  };
}

export function sequencesCheck(list: SequenceUse[], t: Thresholds): CheckResult {
  const worst = list[0]?.usedRatio ?? 0;
  const status = judgeHigh(worst, t.sequences);
  return {
    id: 'sequences',
    title: 'Sequences close to exhaustion',
    status,
    value: worst,
    unit: 'ratio',
    summary: list.length
      ? `most used: ${list[0]!.name} at ${formatPercent(worst)}${list[0]!.columnType ? ` of its ${list[0]!.columnType} column's range` : ''} (warn ≥ ${formatPercent(t.sequences.warn)})`
      : 'no sequence in use',
    details: list
      .filter((s) => s.usedRatio >= t.sequences.warn)
      .map(
        (s) =>
          `${s.name} ${formatPercent(s.usedRatio)} used${s.column ? ` (feeds ${s.column}, ${s.columnType})` : ''}`,
      ),
    ...(status !== 'pass' ? { hint: 'migrate the column to bigint before the sequence runs out' } : {}),
  };
}

export function deadTuplesCheck(list: DeadTuples[], t: Thresholds): CheckResult {
  const worst = list[0]?.deadRatio ?? 0;
  const status = judgeHigh(worst, t.deadTuples);
  const behind = list.filter((d) => d.dead > d.autovacuumThreshold);
  return {
    id: 'dead_tuples',
    title: 'Dead tuples and autovacuum',
    status,
    value: worst,
    unit: 'ratio',
    summary: list.length
      ? `worst: ${list[0]!.table} ${formatPercent(worst)} dead (${formatThousands(list[0]!.dead)} rows); ${behind.length} table(s) past their autovacuum threshold`
      : `no table with ${formatThousands(t.deadTuples.minDead)} or more dead tuples`,
    details: list
      .filter((d) => d.deadRatio >= t.deadTuples.warn || d.dead > d.autovacuumThreshold)
      .slice(0, 10)
      .map(
        (d) =>
          `${d.table}: ${formatThousands(d.dead)} dead / ${formatThousands(d.live)} live (${formatPercent(d.deadRatio)}), autovacuum threshold ${formatThousands(d.autovacuumThreshold)}, last vacuum ${d.lastVacuum ?? 'never'}`,
      ),
    ...(status !== 'pass'
      ? {
          hint: 'autovacuum is not keeping up: lower autovacuum_vacuum_scale_factor for these tables, or VACUUM them',
        }
      : {}),
  };
}

export function invalidIndexesCheck(list: { index: string; table: string }[]): CheckResult {
  return {
    id: 'invalid_indexes',
    title: 'Invalid indexes',
    status: list.length ? 'warn' : 'pass',
    value: list.length,
    unit: 'count',
    summary: list.length
      ? `${list.length} invalid index(es): left by a failed CREATE INDEX CONCURRENTLY; they cost writes and serve no read`
      : 'no invalid index',
    details: list.map((i) => `${i.index} on ${i.table}`),
    ...(list.length
      ? { hint: 'DROP INDEX CONCURRENTLY it, then create it again (or REINDEX INDEX CONCURRENTLY)' }
      : {}),
  };
}

export function unusedIndexesCheck(list: UnusedIndex[], t: Thresholds): CheckResult {
  const total = list.reduce((n, i) => n + i.bytes, 0);
  return {
    id: 'unused_indexes',
    title: 'Unused indexes',
    status: list.length ? 'warn' : 'pass',
    value: list.length,
    unit: 'count',
    summary: list.length
      ? `${list.length} index(es) never scanned since the statistics reset (${formatBytes(total)})`
      : `no unused index of ${formatBytes(t.unusedIndexMinBytes)} or more`,
    details: list.map((i) => `${i.index} on ${i.table} (${formatBytes(i.bytes)})`),
    ...(list.length
      ? { hint: 'check replicas too (their scans are counted there) before DROP INDEX CONCURRENTLY' }
      : {}),
  };
}
