// Which backups a retention policy keeps, and why. Pure: prune and `--dry-run` show the same decisions.
// Each environment+database is its own series; order comes from manifest start times, never names.
import { formatDuration } from '../config/duration.js';
import { newestFirst } from './catalog.js';
import type { BackupManifest } from './manifest.js';

export interface RetentionRules {
  keepLast?: number | undefined;
  keepDaily?: number | undefined;
  keepWeekly?: number | undefined;
  keepMonthly?: number | undefined;
  /** Backups older than this go, unless pinned, pre-migrate within their window, or the newest verified. */
  maxAgeMs?: number | null | undefined;
  keepPreMigrateDays?: number | undefined;
}

export interface RetentionDecision {
  backup: BackupManifest;
  keep: boolean;
  /** The rule that decided, in words. */
  rule: string;
}

const DAY = 86_400_000;
const days = (ms: number) => (ms % DAY === 0 ? `${ms / DAY}d` : formatDuration(ms));

/** True when the backup's latest restore drill passed. */
export function drillPassed(m: BackupManifest): boolean {
  return m.verification?.ok === true && m.verification.checks.drill === true;
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / DAY + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const BUCKETS = [
  { key: 'keepDaily', name: 'keep_daily', of: (d: Date) => d.toISOString().slice(0, 10) },
  { key: 'keepWeekly', name: 'keep_weekly', of: isoWeek },
  { key: 'keepMonthly', name: 'keep_monthly', of: (d: Date) => d.toISOString().slice(0, 7) },
] as const;

/** Backups of one environment+database form a series: retention and "newest proven" are per series. */
export const seriesKey = (m: BackupManifest): string => `${m.env ?? ''}\u0000${m.database}`;

/**
 * `isProven` says whether a backup counts as proven: prune passes "drill passed AND its archive is in
 * storage", so a manifest whose archive is gone never shields itself at the expense of the real one.
 */
export function planRetention(
  all: BackupManifest[],
  rules: RetentionRules,
  now: Date = new Date(),
  isProven: (m: BackupManifest) => boolean = drillPassed,
): RetentionDecision[] {
  const series = new Map<string, BackupManifest[]>();
  for (const m of all) series.set(seriesKey(m), [...(series.get(seriesKey(m)) ?? []), m]);
  const out: RetentionDecision[] = [];
  for (const list of series.values())
    out.push(...planSeries([...list].sort(newestFirst), rules, now, isProven));
  return out.sort((a, b) => newestFirst(a.backup, b.backup));
}

function planSeries(
  list: BackupManifest[],
  r: RetentionRules,
  now: Date,
  isProven: (m: BackupManifest) => boolean,
): RetentionDecision[] {
  const newestVerified = list.find(isProven)?.id;
  // Grandfather-father-son buckets: the newest backup of each of the N most recent days/weeks/months.
  const bucketKeep = new Map<string, string>();
  for (const b of BUCKETS) {
    const n = r[b.key];
    if (!n) continue;
    const seen = new Set<string>();
    for (const m of list) {
      const bucket = b.of(new Date(m.startedAt));
      if (seen.has(bucket)) continue;
      if (seen.size >= n) break;
      seen.add(bucket);
      if (!bucketKeep.has(m.id)) bucketKeep.set(m.id, `${b.name}: ${n} (newest of ${bucket})`);
    }
  }
  const countRules = [r.keepLast, r.keepDaily, r.keepWeekly, r.keepMonthly].some((n) => n !== undefined);
  const preMigrateDays = r.keepPreMigrateDays ?? 7;
  return list.map((m, i): RetentionDecision => {
    const age = now.getTime() - Date.parse(m.startedAt);
    if (m.pinned) return { backup: m, keep: true, rule: 'pinned' };
    if (m.id === newestVerified)
      return { backup: m, keep: true, rule: 'newest backup whose restore drill passed' };
    if (m.reason === 'pre-migrate' && age < preMigrateDays * DAY) {
      return {
        backup: m,
        keep: true,
        rule: `pre-migrate, kept at least ${preMigrateDays} days (keep_pre_migrate_days)`,
      };
    }
    if (r.maxAgeMs != null && age > r.maxAgeMs) {
      return { backup: m, keep: false, rule: `older than max_age ${days(r.maxAgeMs)}` };
    }
    if (r.keepLast !== undefined && i < r.keepLast)
      return { backup: m, keep: true, rule: `keep_last: ${r.keepLast}` };
    const bucket = bucketKeep.get(m.id);
    if (bucket) return { backup: m, keep: true, rule: bucket };
    if (!countRules) {
      return {
        backup: m,
        keep: true,
        rule: r.maxAgeMs != null ? 'within max_age' : 'no retention rules configured',
      };
    }
    return { backup: m, keep: false, rule: 'not selected by keep_last/keep_daily/keep_weekly/keep_monthly' };
  });
}
