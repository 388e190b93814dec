// Turns a migration section into the statements pgward will run, each with its line in the file.
import { relative } from 'node:path';
import { PgwardError, UsageError } from '../errors.js';
import type { MigrationFile, Section } from '../files/migration-files.js';
import { lineColumn, splitStatements } from '../sql/split.js';

export interface PlannedStatement {
  sql: string;
  /** 1-based line and column in the migration file (not in the section). */
  line: number;
  column: number;
  /** Statement kind from the parse tree, e.g. "IndexStmt", "TransactionStmt". */
  kind: string;
  /** CREATE/DROP/REINDEX ... CONCURRENTLY: cannot run in a transaction, may leave an invalid index. */
  concurrently: boolean;
  /** For CREATE INDEX CONCURRENTLY with a name: where a failed build leaves an INVALID index. */
  index?: { name: string; schema: string | undefined };
}

export function shownPath(path: string): string {
  return relative(process.cwd(), path) || path;
}

/** Splits a section with the PostgreSQL parser; a syntax error stops the run before anything is applied. */
export function planSection(file: MigrationFile, section: Section, which: 'up' | 'down'): PlannedStatement[] {
  // The parser rejects empty input; an empty section is the caller's decision (see assertUpNotEmpty).
  if (section.text.trim() === '') return [];
  const split = splitStatements(section.text);
  if (!split.ok) {
    const pos = split.error.offset !== undefined ? lineColumn(section.text, split.error.offset) : undefined;
    const line = pos ? section.startLine + pos.line - 1 : section.startLine;
    throw new PgwardError(
      `${shownPath(file.path)}:${line}${pos ? `:${pos.column}` : ''}: syntax error in the ${which} section: ${split.error.message}`,
      { hint: 'fix the SQL; nothing was applied' },
    );
  }
  return split.statements.map((s) => {
    const kind = Object.keys(s.node)[0] ?? 'Unknown';
    const body = (s.node as unknown as Record<string, Record<string, unknown>>)[kind] ?? {};
    const concurrently = body.concurrent === true || hasConcurrentOption(kind, body);
    const rel = body.relation as { schemaname?: string } | undefined;
    return {
      sql: s.sql,
      line: section.startLine + s.line - 1,
      column: s.column,
      kind,
      concurrently,
      ...(kind === 'IndexStmt' && concurrently && typeof body.idxname === 'string'
        ? { index: { name: body.idxname, schema: rel?.schemaname } }
        : {}),
    };
  });
}

function hasConcurrentOption(kind: string, body: Record<string, unknown>): boolean {
  if (kind !== 'ReindexStmt' || !Array.isArray(body.params)) return false;
  return (body.params as { DefElem?: { defname?: string } }[]).some(
    (p) => p.DefElem?.defname === 'concurrently',
  );
}

/** pgward wraps transactional files itself: BEGIN/COMMIT inside would break atomicity and the history row. */
export function assertNoTransactionControl(file: MigrationFile, stmts: PlannedStatement[]): void {
  const tx = stmts.find((s) => s.kind === 'TransactionStmt');
  if (tx) {
    throw new PgwardError(
      `${shownPath(file.path)}:${tx.line}: transaction control ("${tx.sql.slice(0, 30)}") in a migration that pgward runs in a transaction`,
      {
        hint: 'remove BEGIN/COMMIT (pgward wraps each file), or add "-- pgward:no-transaction" to manage it yourself',
      },
    );
  }
  const conc = stmts.find((s) => s.concurrently);
  if (conc) {
    throw new PgwardError(
      `${shownPath(file.path)}:${conc.line}: CONCURRENTLY cannot run inside a transaction`,
      { hint: 'add "-- pgward:no-transaction" at the top of the file so its statements run one by one' },
    );
  }
}

/**
 * An up section with no statement (only comments or whitespace) would be recorded as applied while
 * changing nothing — usually a marker typo or an unsaved editor. Refused, naming the section's line.
 */
export function assertUpNotEmpty(file: MigrationFile, statementCount: number): void {
  if (statementCount > 0) return;
  const markerLine = file.up.startLine > 1 ? file.up.startLine - 1 : 1;
  throw new UsageError(
    `${shownPath(file.path)}:${markerLine}: the up section is empty (no SQL statement)`,
    'write the migration under "-- migrate:up", or delete the file; nothing was applied',
  );
}
