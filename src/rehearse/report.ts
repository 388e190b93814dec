// The rehearsal report: a table for people, markdown for a pull request (JSON is the result itself).

import { formatDuration } from '../format/units.js';
import type { MigrationVerdict, RehearseResult } from './rehearse.js';
import { lockName } from './trace.js';

// Short steps need the hundredths to tell them apart; long ones do not.
const secs = (ms: number) => formatDuration(ms, { style: 'seconds', digits: ms < 10_000 ? 2 : 1 });

export function worstLockText(m: MigrationVerdict): string {
  const w = m.worstLock;
  return w ? `${lockName(w.mode)} on ${w.relation} (${secs(w.heldMs)})` : '—';
}

export function rows(r: RehearseResult): string[][] {
  return r.migrations.map((m) => [
    `${m.version}_${m.name}`,
    m.status === 'not run' ? '—' : secs(m.durationMs),
    worstLockText(m),
    m.rewrites.join(', ') || '—',
    m.verdict,
  ]);
}

export const HEADERS = ['migration', 'duration', 'worst lock (held)', 'rewritten', 'verdict'];

/**
 * A rehearsal result as markdown (exported as rehearsalMarkdown), for a pull-request comment.
 *
 * @example
 * ```ts
 * import { rehearsalMarkdown, rehearsalSettings, rehearse, resolveProject } from 'pgward';
 * const { config, target, source } = await resolveProject({ env: 'production' });
 * const r = await rehearse({ config, target, source, settings: rehearsalSettings(config, null) });
 * console.log(rehearsalMarkdown(r));
 * ```
 */
export function markdown(r: RehearseResult): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out: string[] = [];
  const icon = r.ok ? '✅' : '❌';
  out.push(`### ${icon} pgward rehearsal on a copy of \`${r.env}\``);
  out.push('');
  out.push(
    `Copy: ${r.copy.method === 'clone' ? 'clone' : `restore of backup \`${r.copy.backup}\``} in ${secs(r.copy.durationMs)} · budget: blocking locks ≤ ${r.budget.maxLockSeconds}s` +
      (r.budget.maxDurationMs !== null ? `, migration ≤ ${secs(r.budget.maxDurationMs)}` : ''),
  );
  out.push('');
  out.push(`| ${HEADERS.join(' | ')} |`);
  out.push(`|${HEADERS.map(() => '---').join('|')}|`);
  for (const row of rows(r)) out.push(`| ${row.map(esc).join(' | ')} |`);
  for (const m of r.migrations.filter((x) => x.statements.length)) {
    out.push('');
    out.push(
      `<details><summary>${esc(`${m.version}_${m.name}`)}: ${m.statements.length} statements${m.reasons.length ? ` — ${esc(m.reasons.join('; '))}` : ''}</summary>`,
    );
    out.push('');
    out.push('| line | time | rows | locks taken | rewrites | constraints |');
    out.push('|---|---|---|---|---|---|');
    for (const s of m.statements) {
      out.push(
        `| ${s.line} | ${secs(s.ms)} | ${s.rows ?? '—'} | ${esc(s.locks.map((l) => `${lockName(l.mode)} ${l.relation}`).join(', ') || '—')} | ${esc(s.rewrites.join(', ') || '—')} | ${esc(
          s.constraints.map((c) => `${c.action} ${c.name}${c.validated ? '' : ' (NOT VALID)'}`).join(', ') ||
            '—',
        )} |${s.error ? ` ❌ ${esc(s.error)}` : ''}${s.refusedInProduction ? ` ⛔ production would refuse this statement: ${esc(s.refusedInProduction)}` : ''}`,
      );
    }
    out.push('');
    out.push('</details>');
  }
  if (r.smoke.length) {
    out.push('');
    out.push(`Smoke checks: ${r.smoke.filter((s) => s.ok).length}/${r.smoke.length} passed`);
    for (const s of r.smoke.filter((x) => !x.ok)) out.push(`- ❌ \`${esc(s.check)}\`: ${esc(s.error ?? '')}`);
  }
  return out.join('\n');
}
