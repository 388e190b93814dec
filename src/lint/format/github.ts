// GitHub Actions workflow commands: one annotation per finding, shown inline on the pull request.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
import type { LintReport } from '../index.js';

const LEVEL = { error: 'error', warning: 'warning', info: 'notice' } as const;

function data(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function prop(s: string): string {
  return data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function toGithub(report: LintReport): string[] {
  const lines: string[] = [];
  for (const file of report.files) {
    for (const f of file.findings) {
      const lock = f.lock === 'none' ? '' : `\n${f.lock} lock on ${f.relation}.`;
      lines.push(
        `::${LEVEL[f.severity]} file=${prop(file.file)},line=${f.line},col=${f.column},title=${prop(`pgward ${f.rule} (${f.category})`)}::${data(`${f.message}${lock}\nFix: ${f.fix}`)}`,
      );
    }
  }
  return lines;
}
