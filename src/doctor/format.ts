// The doctor report for people: one line per check, read in ten seconds; details only where a check
// does not pass (and the top queries, which are information).
import { formatDuration, MS } from '../format/units.js';
import type { CheckStatus, DoctorReport } from './types.js';

export interface Painter {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function statusLabel(p: Painter, s: CheckStatus): string {
  if (s === 'pass') return p.green('PASS');
  if (s === 'warn') return p.yellow('WARN');
  if (s === 'fail') return p.red('FAIL');
  return p.dim('SKIP');
}

export function formatReport(r: DoctorReport, p: Painter, verbose = false): string[] {
  const lines: string[] = [];
  const server = r.figures
    ? ` · PostgreSQL ${r.figures.serverVersion}${r.figures.inRecovery ? ' (standby)' : ''}`
    : '';
  lines.push(`${p.bold(`doctor ${r.env ?? 'database'}`)} ${p.dim(r.database)}${server}`);
  const width = Math.max(...r.checks.map((c) => c.title.length));
  for (const c of r.checks) {
    lines.push(`${statusLabel(p, c.status)}  ${c.title.padEnd(width)}  ${c.summary}`);
    const showDetails = verbose || c.status === 'warn' || c.status === 'fail' || c.id === 'top_queries';
    if (showDetails) for (const d of c.details ?? []) lines.push(`        ${p.dim(d)}`);
    if (c.hint && (c.status === 'warn' || c.status === 'fail')) lines.push(`        ${p.dim(`→ ${c.hint}`)}`);
  }
  const n = (s: CheckStatus) => r.checks.filter((c) => c.status === s).length;
  const verdict =
    r.status === 'fail' ? p.red('FAIL') : r.status === 'warn' ? p.yellow('WARN') : p.green('PASS');
  lines.push('');
  lines.push(
    `${verdict}: ${n('pass')} passed, ${n('warn')} warning(s), ${n('fail')} failed, ${n('skip')} skipped (${formatDuration(r.durationMs, MS)})`,
  );
  return lines;
}
