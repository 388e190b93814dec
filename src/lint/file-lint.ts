// One file linted on its own (the unit of `lintPaths`, on the main thread or in a worker): read, parse
// without caching the trees, analyse, keep only the findings.
import { readUtf8File } from '../files/encoding.js';
import { analyzeSection, type SuppressedFinding } from './analyze.js';
import type { Finding, LiveSchema } from './types.js';
import { fileUnit, type Unit } from './units.js';
import type { PgVersion } from './version.js';

export interface LintFileResult {
  file: string;
  /** Set for pgward migrations. */
  version?: string;
  findings: Finding[];
  suppressed: SuppressedFinding[];
  statements: number;
}

export function analyzeUnit(u: Unit, version: PgVersion, live: LiveSchema | undefined): LintFileResult {
  const results = u.sections.map((s) =>
    analyzeSection(s, { pgVersion: version.major, pgVersionNum: version.num, live }),
  );
  return {
    file: u.file,
    ...(u.version !== undefined ? { version: u.version } : {}),
    findings: results.flatMap((r) => r.findings),
    suppressed: results.flatMap((r) => r.suppressed),
    statements: results.reduce((n, r) => n + r.statements, 0),
  };
}

/** Reads, parses and analyses one file (the parser must be loaded); `shown` is its name in the report. */
export function lintFile(
  path: string,
  shown: string,
  down: boolean,
  version: PgVersion,
  live: LiveSchema | undefined,
): LintFileResult {
  return analyzeUnit(fileUnit(path, readUtf8File(path, shown), shown, down, false), version, live);
}
