// The one place that writes sizes and durations for humans. Every report line, progress line and table
// cell goes through formatBytes / formatDuration, so "1.5 MiB" or "2.3s" means the same thing everywhere.
// The options exist because reports that already shipped print different precisions (a progress line
// never shows KiB, a config echo must parse back); each call site asks for its shape, the arithmetic is
// shared.

export type ByteUnit = 'B' | 'KiB' | 'MiB' | 'GiB';

export interface BytesOptions {
  /** Never go below this unit: smaller sizes are written as a fraction of it (default 'B'). */
  smallest?: ByteUnit;
  /** Always this unit, whatever the size (a stable column or event line). */
  only?: ByteUnit;
  /** Decimals per unit (default GiB 2, MiB 1, KiB 0). */
  digits?: Partial<Record<ByteUnit, number>>;
  /** 'postgres' writes sizes the way pg_size_pretty does (bytes, kB, MB, GB, TB), for lint findings. */
  style?: 'iec' | 'postgres';
}

const BYTE_SIZE: Record<ByteUnit, number> = { GiB: 1024 ** 3, MiB: 1024 ** 2, KiB: 1024, B: 1 };
const LARGEST_FIRST: ByteUnit[] = ['GiB', 'MiB', 'KiB', 'B'];
const DEFAULT_DIGITS: Record<ByteUnit, number> = { GiB: 2, MiB: 1, KiB: 0, B: 0 };

/** "512 B", "3 KiB", "1.5 MiB", "2.00 GiB" (IEC units, 1024-based). */
export function formatBytes(n: number, o: BytesOptions = {}): string {
  if (o.style === 'postgres') return postgresSize(n);
  const unit = o.only ?? unitFor(n, o.smallest ?? 'B');
  if (unit === 'B') return `${n} B`;
  return `${(n / BYTE_SIZE[unit]).toFixed(o.digits?.[unit] ?? DEFAULT_DIGITS[unit])} ${unit}`;
}

function unitFor(n: number, smallest: ByteUnit): ByteUnit {
  for (const unit of LARGEST_FIRST) {
    if (n >= BYTE_SIZE[unit] || unit === smallest) return unit;
  }
  return 'B';
}

// pg_size_pretty's shape: the names a DBA reads in psql, whole numbers from 10 up.
function postgresSize(b: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/**
 * - 'config' (default): what pgward.yaml accepts, so it parses back: "500ms", "5s", "1.5min", "2h";
 *   null is "off".
 * - 'summary': a doctor/serve report: "850ms", "1.5s", "12min", "3.2h", "2.1d"; never-happened is "never".
 * - 'seconds': a measured time in seconds with fixed decimals: "2.3s" (digits, default 1).
 * - 'milliseconds': an exact measured time: "1234 ms".
 */
export type DurationStyle = 'config' | 'summary' | 'seconds' | 'milliseconds';

export interface DurationOptions {
  style?: DurationStyle;
  /** Decimals for the 'seconds' style (default 1). */
  digits?: number;
}

export function formatDuration(ms: number | null, o: DurationOptions = {}): string {
  switch (o.style ?? 'config') {
    case 'summary':
      return summaryDuration(ms ?? Number.POSITIVE_INFINITY);
    case 'seconds':
      return `${((ms ?? 0) / 1000).toFixed(o.digits ?? 1)}s`;
    case 'milliseconds':
      return `${ms} ms`;
    default:
      return configDuration(ms);
  }
}

function configDuration(ms: number | null): string {
  if (ms === null) return 'off';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}min`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}

function summaryDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 120) return `${+s.toFixed(1)}s`;
  if (s < 7200) return `${Math.round(s / 60)}min`;
  if (s < 172_800) return `${+(s / 3600).toFixed(1)}h`;
  return `${+(s / 86_400).toFixed(1)}d`;
}

/** A ratio as a percentage: two decimals below 10%, one above ("0.25%", "42.5%"). */
export const formatPercent = (r: number): string => `${+(r * 100).toFixed(r < 0.1 ? 2 : 1)}%`;

/** A large count with thousands separators: "1,234,567". */
export const formatThousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The shape of every duration in a doctor or serve report. */
export const SUMMARY: DurationOptions = { style: 'summary' };
/** A measured time in seconds with one decimal: "2.3s". */
export const SECONDS: DurationOptions = { style: 'seconds', digits: 1 };
/** A measured time in whole milliseconds: "1234 ms". */
export const MS: DurationOptions = { style: 'milliseconds' };
