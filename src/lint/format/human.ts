// Human output: findings grouped by file with a code frame, then a summary. Colours come from the writer
// (the CLI's Output colours only on a TTY, never with NO_COLOR).
import { readFileSync } from 'node:fs';
import type { LintReport } from '../index.js';
import { formatBytes, formatCount } from '../schema.js';
import type { Finding, Severity } from '../types.js';
import type { TextWriter } from './writer.js';

export function severityLabel(out: TextWriter, s: Severity): string {
  return s === 'error' ? out.c.red('error') : s === 'warning' ? out.c.yellow('warning') : out.c.blue('info');
}

function fileLines(file: string): string[] | undefined {
  try {
    return readFileSync(file, 'utf8').replace(/\r\n/g, '\n').split('\n');
  } catch {
    return undefined;
  }
}

/** Up to three lines of the statement, with the file's line numbers and a caret at the column. */
export function codeFrame(out: TextWriter, f: Finding, lines: string[] | undefined): string[] {
  const src = lines ? lines.slice(f.line - 1, f.line + 2) : f.statement.split('\n').slice(0, 3);
  const shown = src.slice(0, Math.max(1, Math.min(3, f.statement.split('\n').length)));
  const width = String(f.line + shown.length).length;
  const out1 = shown.map((l, i) => `  ${out.c.dim(`${String(f.line + i).padStart(width)} |`)} ${l}`);
  out1.splice(
    1,
    0,
    `  ${' '.repeat(width)} ${out.c.dim('|')} ${' '.repeat(Math.max(0, f.column - 1))}${out.c.red('^')}`,
  );
  return out1;
}

export function printHuman(out: TextWriter, report: LintReport): void {
  const { c } = out;
  for (const file of report.files) {
    if (file.findings.length === 0) continue;
    const lines = fileLines(file.file);
    out.line(c.bold(c.underline(file.file)));
    for (const f of file.findings) {
      const lock = f.lock === 'none' ? '' : ` · ${f.lock} on ${f.relation}`;
      out.line(
        `${c.dim(`${f.line}:${f.column}`)} ${severityLabel(out, f.severity)} ${c.bold(f.rule)} ${c.dim(`${f.category}${lock}`)}`,
      );
      out.line(`  ${f.message}`);
      for (const l of codeFrame(out, f, lines)) out.line(l);
      out.line(`  ${c.green('fix:')} ${f.fix}`);
      out.line();
    }
  }
  const s = report.summary;
  if (s.blockingTables.length > 0) {
    out.line(c.bold('Blocking changes, largest tables first:'));
    for (const t of s.blockingTables)
      out.line(
        `  ${t.table}: ${t.empty ? 'empty' : `${formatCount(t.rows)} rows, ${formatBytes(t.bytes)}`} — ${t.blocking} finding${t.blocking === 1 ? '' : 's'}`,
      );
    out.line();
  }
  const cats = Object.entries(s.byCategory)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const head = `${s.findings} finding${s.findings === 1 ? '' : 's'} in ${s.files} file${s.files === 1 ? '' : 's'} (${s.statements} statements, PostgreSQL ${s.pgVersion}${s.connected ? ', catalog-aware' : ''})`;
  const tail = `${cats ? ` — ${cats}` : ''}${s.suppressed ? `; ${s.suppressed} suppressed` : ''}`;
  out.line(
    s.bySeverity.error
      ? c.red(head + tail)
      : s.findings
        ? c.yellow(head + tail)
        : c.green(`${head} — no problems found`),
  );
}
