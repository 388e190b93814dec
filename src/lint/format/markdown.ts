// Markdown for a pull-request comment: one section per pending migration with its gate decision.
import type { GateResult } from '../gate.js';
import type { LintFileResult } from '../index.js';

export interface PlanEntry {
  version: string;
  name: string;
  lint: LintFileResult;
  /** The gate's verdict (a GateResult, or the MigrationGate `plan` gets from the shared planning). */
  gate: Pick<GateResult, 'decision' | 'approvable'>;
}

const ICON = { apply: '✅ apply', warn: '⚠️ warn', blocked: '⛔ blocked until approved' } as const;

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function planMarkdown(env: string, entries: PlanEntry[]): string {
  const out = [`## pgward plan: ${env}`, ''];
  if (entries.length === 0) return [...out, 'No pending migrations.'].join('\n');
  out.push('| Migration | Decision | Findings |', '|---|---|---|');
  for (const e of entries) {
    const decision =
      e.gate.decision === 'blocked' && !e.gate.approvable
        ? '⛔ fails (fix the migration)'
        : ICON[e.gate.decision];
    out.push(`| \`${e.version}_${e.name}\` | ${decision} | ${e.lint.findings.length} |`);
  }
  for (const e of entries) {
    if (e.lint.findings.length === 0) continue;
    out.push(
      '',
      `### \`${e.lint.file}\``,
      '',
      '| Line | Severity | Rule | Lock | Message | Fix |',
      '|---|---|---|---|---|---|',
    );
    for (const f of e.lint.findings)
      out.push(
        `| ${f.line} | ${f.severity} | \`${f.rule}\` (${f.category}) | ${f.lock === 'none' ? '' : `${f.lock} on ${cell(f.relation)}`} | ${cell(f.message)} | ${cell(f.fix)} |`,
      );
    if (e.gate.decision === 'blocked' && e.gate.approvable)
      out.push('', `Approve with: \`pgward migrate --env ${env} --approve ${e.version}\``);
  }
  return out.join('\n');
}
