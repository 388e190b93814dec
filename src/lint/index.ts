// pgward's safety analysis as a library: lint files, folders, migrations or SQL text, optionally
// knowing the live database (SchemaFacts, loaded by the caller), and decide the per-environment gate.
// Pure: no database driver is loaded here. To lint against a database, prepare first, load the facts the
// prepared SQL needs (src/db/schema-facts.ts), then lint the prepared input with them.
import { relative } from 'node:path';
import { readUtf8File } from '../files/encoding.js';
import { type MigrationFile, parseMigration } from '../files/migration-files.js';
import { ensureParser } from '../sql/parser.js';
import { analyzeUnit, type LintFileResult, lintFile } from './file-lint.js';
import { lintFilesInParallel } from './parallel.js';
import { RULES } from './rules/index.js';
import { liveSchema, schemaNeeds } from './schema.js';
import {
  type Category,
  type LiveSchema,
  type SchemaFacts,
  type SchemaNeeds,
  SEVERITY_RANK,
  type Severity,
  type TableInfo,
} from './types.js';
import { expandPaths, fileUnit, migrationUnit, scriptUnit, type Unit } from './units.js';
import { fromServerVersionNum, LATEST_PG, type PgVersion, parsePgVersion } from './version.js';

export type { SuppressedFinding } from './analyze.js';
export type { LintFileResult } from './file-lint.js';
export type { GateDecision, GateReason, GateResult } from './gate.js';
export { decideGate } from './gate.js';
export { RULES, RULES_BY_ID } from './rules/index.js';
export type {
  Category,
  Finding,
  LockMode,
  Rule,
  RuleCase,
  SchemaFacts,
  SchemaNeeds,
  Severity,
  TableInfo,
} from './types.js';
export type { Unit } from './units.js';
export { expandPaths } from './units.js';

/** How the SQL is read (decided when it is prepared). */
export interface PrepareOptions {
  /** Also analyse the down sections of migrations. */
  down?: boolean;
  /** Paths in the report are relative to this directory (default: the working directory). */
  cwd?: string;
}

/** What the analysis is told about its target. */
export interface AnalysisOptions {
  /** Target version, e.g. "16" or "14.2"; default: the facts' server version, else the newest. */
  pgVersion?: string;
  /** Facts of the live database (sizes, types, existing constraints); without them the lint is offline. */
  schemaFacts?: SchemaFacts;
}

export interface LintOptions extends PrepareOptions, AnalysisOptions {
  /**
   * `lintPaths` only, offline only: analyse files on this many threads (worker_threads), the calling
   * thread included. Default 1 (a library does not start threads in its host unless asked); the CLI asks
   * for one per processor on large inputs. Same report whatever the number.
   */
  workers?: number;
}

/** Parsed SQL ready to analyse, and the names whose live facts the analysis can use. */
export interface PreparedLint {
  readonly units: readonly Unit[];
  readonly needs: SchemaNeeds;
}

export interface TableSize {
  table: string;
  rows: number;
  bytes: number;
  empty: boolean;
  /** Blocking findings on this table. */
  blocking: number;
}

export interface LintSummary {
  files: number;
  statements: number;
  findings: number;
  suppressed: number;
  byCategory: Record<Category, number>;
  bySeverity: Record<Severity, number>;
  pgVersion: string;
  connected: boolean;
  /** Tables with blocking findings, largest first (only when connected). */
  blockingTables: TableSize[];
}

export interface LintReport {
  files: LintFileResult[];
  summary: LintSummary;
}

/** `needs` is worked out when first read: an offline lint never reads it (a walk of every tree). */
function prepared(units: Unit[]): PreparedLint {
  let needs: SchemaNeeds | undefined;
  return {
    units,
    get needs() {
      needs ??= schemaNeeds(units.flatMap((u) => u.sections.flatMap((s) => s.stmts)));
      return needs;
    },
  };
}

type SqlOptions = PrepareOptions & { file?: string; migration?: boolean };

/**
 * Parses SQL text (no linting yet). `migration: true` treats it as a pgward migration file (sections,
 * no-transaction directive). `needs` names what to load from a live database for `lintPrepared`.
 *
 * @example
 * ```ts
 * import { lintPrepared, prepareSql, readSchemaFacts } from 'pgward';
 * const input = await prepareSql('ALTER TABLE orders ADD COLUMN note text NOT NULL;');
 * const schemaFacts = await readSchemaFacts('postgresql://localhost/app', input.needs);
 * console.log(lintPrepared(input, { schemaFacts }).summary.findings);
 * ```
 */
export async function prepareSql(text: string, options: SqlOptions = {}): Promise<PreparedLint> {
  await ensureParser();
  const file = options.file ?? '<sql>';
  const down = options.down ?? false;
  return prepared([
    options.migration
      ? migrationUnit(parseMigration(`0_${file.replace(/[^\w.-]/g, '_')}.sql`, text), file, down)
      : fileUnit(file, text, file, down),
  ]);
}

/** SQL that another tool runs (a framework's migration), with that tool's execution model. */
export interface ScriptInput {
  text: string;
  /** Shown in the report. */
  file: string;
  version?: string;
  /** The tool runs the whole text inside one transaction. */
  wrapped: boolean;
}

/**
 * Parses scripts that another tool will run, in order (no linting yet): unlike pgward migrations they get
 * no pgward timeouts, and `wrapped` says whether the tool runs each in one transaction.
 *
 * @example
 * ```ts
 * import { lintPrepared, prepareScripts } from 'pgward/lint';
 * const input = await prepareScripts([{ text: 'SELECT 1; CREATE INDEX CONCURRENTLY i ON t (a);', file: 'migration.sql', wrapped: true }]);
 * console.log(lintPrepared(input).files[0]!.findings.map((f) => f.rule));
 * ```
 */
export async function prepareScripts(scripts: readonly ScriptInput[]): Promise<PreparedLint> {
  await ensureParser();
  return prepared(scripts.map((s) => scriptUnit(s.file, s.text, s.wrapped, s.version)));
}

/**
 * Reads and parses files (no linting yet); folders expand to their .sql files.
 *
 * @example
 * ```ts
 * import { lintPrepared, preparePaths } from 'pgward/lint';
 * const input = await preparePaths(['db/migrations']);
 * console.log(lintPrepared(input, { pgVersion: '15' }).summary.findings); // offline: no schema facts
 * ```
 */
export async function preparePaths(
  paths: readonly string[],
  options: PrepareOptions = {},
): Promise<PreparedLint> {
  await ensureParser();
  const cwd = options.cwd ?? process.cwd();
  return prepared(
    expandPaths(paths).map((p) => {
      const shown = relative(cwd, p) || p;
      return fileUnit(p, readUtf8File(p, shown), shown, options.down ?? false);
    }),
  );
}

/**
 * Parses migrations in order (e.g. the pending ones); with facts, tables created by an earlier one count as new.
 *
 * @example
 * ```ts
 * import { lintPrepared, loadMigrations, prepareMigrations, readSchemaFacts } from 'pgward';
 * const input = await prepareMigrations(loadMigrations('db/migrations').files);
 * const schemaFacts = await readSchemaFacts('postgresql://localhost/app', input.needs);
 * console.log(lintPrepared(input, { schemaFacts }).summary.bySeverity);
 * ```
 */
export async function prepareMigrations(
  files: readonly MigrationFile[],
  options: PrepareOptions = {},
): Promise<PreparedLint> {
  await ensureParser();
  const cwd = options.cwd ?? process.cwd();
  return prepared(files.map((m) => migrationUnit(m, relative(cwd, m.path) || m.path, options.down ?? false)));
}

/**
 * Lints SQL text. `migration: true` treats it as a pgward migration file (sections, no-transaction directive).
 *
 * @example
 * ```ts
 * import { lintSql } from 'pgward/lint';
 * const result = await lintSql('ALTER TABLE users DROP COLUMN email;');
 * for (const f of result.findings) console.log(f.line, f.rule, f.message);
 * ```
 */
export async function lintSql(text: string, options: LintOptions & SqlOptions = {}): Promise<LintFileResult> {
  return lintPrepared(await prepareSql(text, options), options).files[0]!;
}

/**
 * Lints files and folders (folders: their .sql files, recursively).
 *
 * @example
 * ```ts
 * import { lintPaths } from 'pgward/lint';
 * const report = await lintPaths(['db/migrations'], { pgVersion: '15' });
 * console.log(report.summary.findings, 'findings');
 * ```
 */
export async function lintPaths(paths: readonly string[], options: LintOptions = {}): Promise<LintReport> {
  await ensureParser();
  const cwd = options.cwd ?? process.cwd();
  const { version, live } = analysisTarget(options);
  const down = options.down ?? false;
  const files = expandPaths(paths).map((p) => ({ path: p, shown: relative(cwd, p) || p }));
  // File by file: each file's trees are dropped once it is analysed (the facts, if any, are already
  // loaded), so memory holds the findings, not every parse tree of the corpus.
  const results =
    (live === undefined && (options.workers ?? 1) > 1
      ? await lintFilesInParallel(files, { down, version, workers: options.workers! })
      : undefined) ?? files.map((f) => lintFile(f.path, f.shown, down, version, live));
  return { files: results, summary: summarize(results, version, live) };
}

/**
 * Lints migrations in order (e.g. the pending ones); tables created by an earlier one count as new when schemaFacts are given.
 *
 * @example
 * ```ts
 * import { lintMigrations, loadMigrations } from 'pgward';
 * const report = await lintMigrations(loadMigrations('db/migrations').files);
 * console.log(report.summary.bySeverity);
 * ```
 */
export async function lintMigrations(
  files: readonly MigrationFile[],
  options: LintOptions = {},
): Promise<LintReport> {
  return lintPrepared(await prepareMigrations(files, options), options);
}

/**
 * @example
 * ```ts
 * import { lintMigration } from 'pgward/lint';
 * import { loadMigrations } from 'pgward';
 * const [first] = loadMigrations('db/migrations').files;
 * if (first) console.log((await lintMigration(first)).findings.length);
 * ```
 */
export async function lintMigration(file: MigrationFile, options: LintOptions = {}): Promise<LintFileResult> {
  return (await lintMigrations([file], options)).files[0]!;
}

/**
 * Analyses prepared SQL: synchronous and pure (same input and facts, same report). Without `schemaFacts`
 * the lint is offline (sizes and existing objects unknown).
 *
 * @example
 * ```ts
 * import { lintPrepared, prepareSql } from 'pgward/lint';
 * const report = lintPrepared(await prepareSql('DROP TABLE legacy;'), { pgVersion: '16' });
 * for (const f of report.files[0]!.findings) console.log(f.rule, f.message);
 * ```
 */
export function lintPrepared(input: PreparedLint, options: AnalysisOptions = {}): LintReport {
  const { version, live } = analysisTarget(options);
  const files = input.units.map((u) => analyzeUnit(u, version, live));
  return { files, summary: summarize(files, version, live) };
}

function analysisTarget(options: AnalysisOptions): { version: PgVersion; live: LiveSchema | undefined } {
  const live = options.schemaFacts ? liveSchema(options.schemaFacts) : undefined;
  const version: PgVersion = options.pgVersion
    ? parsePgVersion(options.pgVersion)
    : live
      ? fromServerVersionNum(live.serverVersion)
      : LATEST_PG;
  return { version, live };
}

function summarize(files: LintFileResult[], version: PgVersion, live: LiveSchema | undefined): LintSummary {
  const byCategory: Record<Category, number> = {
    destructive: 0,
    blocking: 0,
    breaking: 0,
    fails: 0,
    error: 0,
    robustness: 0,
    style: 0,
  };
  const bySeverity: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  const tables = new Map<string, TableSize>();
  for (const f of files.flatMap((x) => x.findings)) {
    byCategory[f.category]++;
    bySeverity[f.severity]++;
    if (live && f.category === 'blocking' && f.table) {
      const info: TableInfo | undefined = live.table(f.table);
      if (!info) continue;
      const t = tables.get(info.name) ?? {
        table: info.name,
        rows: info.rows,
        bytes: info.bytes,
        empty: info.empty,
        blocking: 0,
      };
      t.blocking++;
      tables.set(info.name, t);
    }
  }
  return {
    files: files.length,
    statements: files.reduce((n, f) => n + f.statements, 0),
    findings: files.reduce((n, f) => n + f.findings.length, 0),
    suppressed: files.reduce((n, f) => n + f.suppressed.length, 0),
    byCategory,
    bySeverity,
    pgVersion:
      version.num !== undefined && version.major >= 10
        ? `${version.major}.${version.num % 100}`
        : String(version.major),
    connected: live !== undefined,
    blockingTables: [...tables.values()].sort((a, b) => b.bytes - a.bytes || b.rows - a.rows),
  };
}

/**
 * True when a finding reaches the --fail-on threshold.
 *
 * @example
 * ```ts
 * import { lintPaths, reachesThreshold } from 'pgward/lint';
 * const report = await lintPaths(['db/migrations']);
 * if (reachesThreshold(report, 'warning')) process.exitCode = 5;
 * ```
 */
export function reachesThreshold(report: LintReport, failOn: Severity): boolean {
  return report.files.some((f) => f.findings.some((x) => SEVERITY_RANK[x.severity] >= SEVERITY_RANK[failOn]));
}

/**
 * The rules, in a stable order grouped by category (for docs and `--help`).
 *
 * @example
 * ```ts
 * import { rulesByCategory } from 'pgward/lint';
 * for (const { category, rules } of rulesByCategory()) console.log(category, rules.length);
 * ```
 */
export function rulesByCategory() {
  const order: Category[] = ['destructive', 'blocking', 'breaking', 'fails', 'error', 'robustness', 'style'];
  return order.map((category) => ({ category, rules: RULES.filter((r) => r.category === category) }));
}
