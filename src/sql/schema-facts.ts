// The contract between the code that reads the live schema (src/db/schema-facts.ts) and lint, which
// analyses SQL against it (src/lint): plain data, so lint never needs a driver and the database code
// never needs lint. It lives here, below both, so neither imports the other.

export interface TableInfo {
  schema: string;
  name: string;
  rows: number;
  bytes: number;
  /** True when the heap has no pages at all: nothing to scan or rewrite. */
  empty: boolean;
  columns: Map<string, ColumnInfo>;
  /** Columns that have a validated CHECK (col IS NOT NULL). */
  notNullChecked: Set<string>;
  /** Constraint name → contype (f, c, u, p, x). */
  constraints: Map<string, string>;
  /** Leading columns of every index, for foreign-key coverage. */
  indexLeads: string[][];
  /** Columns referenced by CHECK constraints. */
  checkedColumns: Set<string>;
  /** pg_class.relpersistence: 'p' permanent, 'u' unlogged, 't' temporary (when loaded). */
  persistence?: string;
  /** Table access method, e.g. "heap" (none for a partitioned table before 17; when loaded). */
  accessMethod?: string | null;
}

export interface ColumnInfo {
  /** format_type() output, e.g. "character varying(100)". */
  type: string;
  notNull: boolean;
}

/**
 * What lint knows about the live database: plain data, loaded by the database code
 * (src/db/schema-facts.ts) and passed in, so the analysis itself never needs a driver. Named "schema facts"
 * because "catalog" already means the backup inventory (src/backup/catalog.ts).
 * Keys are bare lower-case names (no schema), as lint compares them.
 */
export interface SchemaFacts {
  /** server_version_num, e.g. 160002. */
  serverVersionNum: number;
  /**
   * Tables (also partitioned, materialised views, foreign tables) the analysed SQL mentions. A table absent
   * from here is taken as not existing (yet), so load the facts for the prepared input's own needs.
   */
  tables: ReadonlyMap<string, TableInfo>;
  /** pg_proc.provolatile ('i', 's', 'v') of the functions the SQL calls. */
  functionVolatility: ReadonlyMap<string, string>;
  /** Existing indexes the SQL names: their table, and whether any indexed column is nullable. */
  indexes: ReadonlyMap<string, { table: string; hasNullableColumn: boolean }>;
}

/** The names whose facts lint wants (bare, lower-case): what a loader must look up. */
export interface SchemaNeeds {
  tables: ReadonlySet<string>;
  indexes: ReadonlySet<string>;
  functions: ReadonlySet<string>;
}
