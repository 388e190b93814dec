// The JSON contract other tools rely on (docs/lint.md): exactly these keys per finding, nothing internal.
import type { LintReport } from '../index.js';
import type { Finding } from '../types.js';

export interface JsonFinding {
  rule: string;
  category: Finding['category'];
  severity: Finding['severity'];
  line: number;
  column: number;
  statement: string;
  lock: string;
  relation: string;
  message: string;
  fix: string;
}

export function jsonFinding(f: Finding): JsonFinding {
  return {
    rule: f.rule,
    category: f.category,
    severity: f.severity,
    line: f.line,
    column: f.column,
    statement: f.statement,
    lock: f.lock,
    relation: f.relation,
    message: f.message,
    fix: f.fix,
  };
}

export function toJson(report: LintReport) {
  return {
    files: report.files.map((f) => ({ file: f.file, findings: f.findings.map(jsonFinding) })),
    summary: report.summary,
  };
}
