// Durations in pgward.yaml read like PostgreSQL's: "500ms", "5s", "10min", "2h"; a bare integer is
// milliseconds (as in postgresql.conf); 0 or "off" disables the limit.

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Milliseconds, or null when disabled. Throws a message fit for a config error on bad input. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new Error('expected a non-negative duration');
    return value === 0 ? null : value;
  }
  const text = value.trim().toLowerCase();
  if (text === 'off' || text === '0') return null;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d)$/.exec(text);
  if (!m) throw new Error(`expected a duration like "500ms", "5s", "10min" or "2h", got "${value}"`);
  return Math.round(Number(m[1]) * (UNITS[m[2]!] ?? 1));
}

// Written back the way pgward.yaml accepts it ("500ms", "1.5min"): the shared formatter's default style.
export { formatDuration } from '../format/units.js';
