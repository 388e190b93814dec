// The bridge between the analysed SQL and the live database's facts, with no database code: which names
// the SQL mentions (what a loader must look up), and how rules look facts up by any spelling of a name.
import { formatBytes as formatSize } from '../format/units.js';
import { calledFunctions, tableKey, walk } from './ast.js';
import type { LiveSchema, SchemaFacts, SchemaNeeds, Stmt, TableInfo } from './types.js';

/** Every relation, index and function name the statements mention (bare, lower-case). */
export function schemaNeeds(stmts: readonly Stmt[]): SchemaNeeds {
  const tables = new Set<string>();
  const indexes = new Set<string>();
  const functions = new Set<string>();
  for (const s of stmts) {
    walk(s.node, (kind, body) => {
      if (typeof body.relname === 'string') tables.add(body.relname.toLowerCase());
      if (kind === 'String' && typeof body.sval === 'string') indexes.add(tableKey(body.sval));
      if (kind === 'Constraint' && typeof body.indexname === 'string')
        indexes.add(body.indexname.toLowerCase());
    });
    for (const f of calledFunctions(s.node)) functions.add(f);
  }
  return { tables, indexes, functions };
}

/** The lookup view rules read: names are reduced to their bare lower-case key, as the loader stored them. */
export function liveSchema(facts: SchemaFacts): LiveSchema {
  return {
    serverVersion: facts.serverVersionNum,
    table: (name) => facts.tables.get(tableKey(name)),
    volatility: (fn) => facts.functionVolatility.get(fn.toLowerCase()),
    indexHasNullable: (i) => facts.indexes.get(tableKey(i))?.hasNullableColumn,
    indexTable: (i) => facts.indexes.get(tableKey(i))?.table,
  };
}

/** "orders: 2.1M rows, 380 MB" */
export function describeSize(t: Pick<TableInfo, 'name' | 'empty' | 'rows' | 'bytes'>): string {
  return `${t.name}: ${t.empty ? 'empty' : `${formatCount(t.rows)} rows, ${formatBytes(t.bytes)}`}`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** "380 MB": pg_size_pretty's units, as a DBA reads them in psql. */
export function formatBytes(b: number): string {
  return formatSize(b, { style: 'postgres' });
}
