// Units for summaries: durations, bytes, ratios, counts, as a human reads them in a report line.
export function dur(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 120) return `${+s.toFixed(1)}s`;
  if (s < 7200) return `${Math.round(s / 60)}min`;
  if (s < 172_800) return `${+(s / 3600).toFixed(1)}h`;
  return `${+(s / 86_400).toFixed(1)}d`;
}

export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

export const pct = (r: number): string => `${+(r * 100).toFixed(r < 0.1 ? 2 : 1)}%`;
export const big = (n: number): string => Math.round(n).toLocaleString('en-US');
