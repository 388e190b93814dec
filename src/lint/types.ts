// Shared types of the analysis library: findings, rules and what a rule may ask about its context.
import type { Node } from 'libpg-query';
import type { TableInfo } from '../sql/schema-facts.js';

export type { ColumnInfo, SchemaFacts, SchemaNeeds, TableInfo } from '../sql/schema-facts.js';

export type Category = 'destructive' | 'blocking' | 'breaking' | 'fails' | 'error' | 'robustness' | 'style';
export type Severity = 'error' | 'warning' | 'info';

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** PostgreSQL table-level lock modes (https://www.postgresql.org/docs/current/explicit-locking.html), weakest first. */
export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
  /** For findings that are not about a lock (e.g. an unused ignore comment). */
  'none',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** One problem in one statement. The JSON output is exactly these fields (a contract, see docs/lint.md). */
export interface Finding {
  rule: string;
  category: Category;
  severity: Severity;
  /** 1-based line and column in the file (not in the migration section). */
  line: number;
  column: number;
  statement: string;
  /** Lock the statement takes, e.g. "ACCESS EXCLUSIVE". */
  lock: LockMode;
  /** Object the lock is taken on, e.g. "orders" or "public.orders". */
  relation: string;
  message: string;
  fix: string;
  /** Table whose size the cost depends on (library only: not part of the JSON output). */
  table?: string;
}

/** A statement as rules see it. */
export interface Stmt {
  sql: string;
  node: Node;
  /** Name of the node type, e.g. "AlterTableStmt". */
  kind: string;
  /** The node's body (node[kind]). */
  body: Record<string, unknown>;
  line: number;
  column: number;
  /** Inside a DO block (dynamic SQL or PL/pgSQL statement). */
  inDo: boolean;
  /** For a DO block: EXECUTE arguments that are not string literals, so cannot be analysed. */
  dynamic?: string[];
}

/** What a rule returns: the parts of a finding that vary per statement. */
export interface Hit {
  lock: LockMode;
  relation: string;
  /** Overrides the rule's message (e.g. to add the column name). */
  message?: string;
  fix?: string;
  severity?: Severity;
  category?: Category;
  /** Table the cost depends on (for size ranking and empty/new-table downgrades). */
  table?: string | undefined;
}

/** How rules look facts up (schema-qualified or quoted names are reduced to their bare key). */
export interface LiveSchema {
  serverVersion: number;
  /** undefined: the table does not exist (yet). */
  table(name: string): TableInfo | undefined;
  /** provolatile of a function name ('i', 's', 'v'), undefined if unknown. */
  volatility(fn: string): string | undefined;
  /** Nullability of an index's columns: true if any is nullable; undefined if the index is unknown. */
  indexHasNullable(index: string): boolean | undefined;
  /** Table of an existing index. */
  indexTable(index: string): string | undefined;
}

/** How a table was emptied earlier in the file: TRUNCATE leaves no pages, DELETE leaves dead rows to scan. */
export type Emptied = 'truncate' | 'delete';

export interface FileFacts {
  /** Table name → the list of leading-column lists of indexes and keys defined anywhere in the file. */
  indexLeads: Map<string, string[][]>;
}

/** Per-statement context a rule can read. Built by the analyser as it walks the file in order. */
export interface RuleContext {
  /** Target PostgreSQL major version (e.g. 16) and full number (e.g. 140002 → 14.2), if known. */
  pgVersion: number;
  pgVersionNum: number | undefined;
  /** True while the statement runs inside a transaction (pgward's wrapper or an explicit BEGIN). */
  inTransaction: boolean;
  /** Inside an explicit BEGIN ... COMMIT of the file itself. */
  explicitTx: boolean;
  /** The file is a pgward migration run by pgward (which wraps it and sets timeouts). */
  pgwardRunner: boolean;
  /** The file is wrapped in a transaction by its runner. */
  wrapped: boolean;
  lockTimeoutSet: boolean;
  statementTimeoutSet: boolean;
  /** Whether a table was created earlier in this file (or, with schema facts, does not exist yet). */
  isNew(table: string): boolean;
  /** `table.column` pairs added by ALTER TABLE ... ADD COLUMN earlier in the file (lower-case). */
  columnsAddedInFile: ReadonlySet<string>;
  /** Tables emptied earlier in the file (TRUNCATE, DELETE without WHERE) with no rows written since (lower-case). */
  emptiedInFile: ReadonlyMap<string, Emptied>;
  /** Tables on which ACCESS EXCLUSIVE is held in the current transaction. */
  exclusiveHeld: ReadonlySet<string>;
  /** `table.column` pairs with a validated NOT NULL check established earlier in the file. */
  notNullCheckedInFile: ReadonlySet<string>;
  /** Constraints added NOT VALID earlier in the current transaction (table.constraint). */
  notValidInTx: ReadonlySet<string>;
  /** How many earlier statements in this file altered the same table (for W12). */
  altersBefore(table: string): number;
  /** All statements of the file and the index of this one (for look-ahead). */
  statements: readonly Stmt[];
  index: number;
  facts: FileFacts;
  /** The live database's facts, when the lint was given them. */
  live: LiveSchema | undefined;
}

/**
 * One input and exactly the findings of its rule: test/lint-rule-cases.test.ts runs every case of every
 * rule. The edges that matter per rule: a table created in the same file, transaction context (a pgward
 * migration is wrapped in one unless it says -- pgward:no-transaction), and the PostgreSQL version.
 */
export interface RuleCase {
  /** What the case shows (the test is named after it). */
  name: string;
  sql: string;
  /** Lint the text as a pgward migration file (default: a plain script run by another tool). */
  migration?: boolean;
  /** Target PostgreSQL version, e.g. "11" or "14.2" (default: the newest). */
  pgVersion?: string;
  /** This rule's findings, in order, as [file line, lock]; empty: the rule must stay silent. */
  expect: readonly (readonly [number, LockMode])[];
}

export interface Rule {
  id: string;
  category: Category;
  severity: Severity;
  message: string;
  why: string;
  fix: string;
  examples: { bad: string[]; good: string[] };
  /** Cases the test suite runs with exact expectations (at least four: flagged, fine and the edges). */
  cases: readonly RuleCase[];
  /** Statement kinds the rule looks at (e.g. "AlterTableStmt"); omitted = every statement. Speeds up dispatch. */
  kinds?: readonly string[];
  /**
   * For an AlterTableStmt: the subcommand types (e.g. "AT_DropColumn") without which the rule cannot fire;
   * omitted = it looks at the statement as a whole. Most ALTER TABLE rules inspect one subcommand type, so
   * the analyser skips them on the others (a check in bench/lint/check-dispatch.mjs holds this to be true).
   * Ignored for every other statement kind.
   */
  subtypes?: readonly string[];
  /** Target version the examples assume (default: the latest). */
  exampleOptions?: { pgVersion?: string };
  check(stmt: Stmt, ctx: RuleContext): Hit[];
}
