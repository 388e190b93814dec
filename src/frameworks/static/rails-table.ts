// The blocks of `create_table :x do |t| … end` and `change_table :x do |t| … end`, and the column-adding
// calls they share with the top level (`add_reference`, `add_timestamps`).

import {
  addForeignKey,
  checkName,
  columnDef,
  createIndex,
  flag,
  foreignKeyClause,
  indexName,
  name,
  names,
  plainString,
  plural,
  q,
  sqlType,
  timestampOptions,
  Unreadable,
} from './rails-sql.js';
import type { Call, Stmt, Val } from './ruby-tree.js';

/** Where translated SQL and notes go; `unreadable` reports a statement the reading cannot translate. */
export interface Out {
  sql(line: number, code: string, statements: string[]): void;
  unreadable(stmt: Stmt): void;
  note(text: string): void;
  /** The body of a method without parameters defined in the migration class (a helper `change` calls). */
  helper?(name: string): Stmt[] | undefined;
}

export type ReadCall = (s: Stmt) => Call | undefined;

/** Column types callable as `t.<type>`. */
const COLUMN_TYPES = new Set([
  'string', 'text', 'integer', 'bigint', 'float', 'decimal', 'numeric', 'datetime', 'timestamp', 'timestamptz',
  'time', 'date', 'binary', 'boolean', 'json', 'jsonb', 'uuid', 'inet', 'cidr', 'macaddr', 'hstore', 'citext',
  'interval', 'money', 'xml', 'tsvector', 'ltree', 'serial', 'bigserial', 'daterange', 'tsrange', 'tstzrange',
  'int4range', 'int8range', 'numrange', 'point', 'bit', 'bit_varying', 'oid', 'virtual', 'enum',
]); // biome-ignore format: a list of names

/** Columns (and the indexes / foreign keys that follow) of a reference, as add_reference adds them. */
export function referenceParts(
  table: string,
  ref: string,
  o: Record<string, Val>,
  inCreate: boolean,
): { columns: string[]; after: string[] } {
  const type = o.type ? name(o.type) : 'bigint';
  const nullOpt = o.null?.k === 'bool' && !o.null.v ? ' NOT NULL' : '';
  const columns = [`${q(`${ref}_id`)} ${sqlType(type, {})}${nullOpt}`];
  const cols = [`${ref}_id`];
  if (flag(o, 'polymorphic')) {
    columns.push(`${q(`${ref}_type`)} character varying${nullOpt}`);
    cols.unshift(`${ref}_type`);
  }
  const after: string[] = [];
  // Index by default (Rails ≥ 5); `index: { unique: true, algorithm: :concurrently }` passes options on.
  const idx = o.index;
  if (!(idx?.k === 'bool' && !idx.v) && idx?.k !== 'nil') {
    const io = idx?.k === 'hash' ? idx.h : {};
    after.push(
      createIndex(
        table,
        { k: 'arr', items: cols.map((c) => ({ k: 'sym', v: c })) },
        { name: { k: 'str', v: indexName(table, cols), interp: false }, ...io },
      ),
    );
  }
  const fk = o.foreign_key;
  if (fk !== undefined && flag(o, 'foreign_key')) {
    const fo = fk.k === 'hash' ? fk.h : {};
    const to = fo.to_table ? name(fo.to_table) : plural(ref);
    const fkOpts: Record<string, Val> = { column: { k: 'str', v: `${ref}_id`, interp: false }, ...fo };
    // create_table writes the foreign key inside CREATE TABLE; add_reference adds it afterwards.
    if (inCreate) columns.push(foreignKeyClause(table, to, fkOpts));
    else after.push(addForeignKey(table, to, fkOpts));
  }
  if (inCreate) return { columns, after };
  return { columns: columns.map((c) => `ALTER TABLE ${q(table)} ADD COLUMN ${c}`), after };
}

function timestamps(o: Record<string, Val>): string[] {
  const opts: Record<string, Val> = timestampOptions({ null: { k: 'bool', v: false }, ...o });
  return ['created_at', 'updated_at'].map((c) => columnDef(c, 'datetime', opts));
}

/** The column definitions of one `t.<type> :a, :b, opts` / `t.column :a, :type, opts`. */
function columnCall(c: Call): string[] | undefined {
  if (c.name === 'column') return [columnDef(name(c.args[0]), name(c.args[1]), c.opts)];
  if (c.name === 'timestamps') return timestamps(c.opts);
  if (COLUMN_TYPES.has(c.name)) return c.args.map((a) => columnDef(name(a), c.name, c.opts));
  return undefined;
}

function primaryKey(table: string, o: Record<string, Val>): string[] {
  if (o.id?.k === 'bool' && !o.id.v) return [];
  const pk = o.primary_key ? name(o.primary_key) : 'id';
  const type = o.id ? name(o.id) : 'bigserial';
  if (type === 'uuid') return [`${q(pk)} uuid DEFAULT gen_random_uuid() PRIMARY KEY`];
  if (type === 'bigserial' || type === 'primary_key') return [`${q(pk)} bigserial PRIMARY KEY`];
  if (type === 'integer' || type === 'serial') return [`${q(pk)} serial PRIMARY KEY`];
  if (table === '') return [];
  return [`${q(pk)} ${sqlType(type, {})} PRIMARY KEY`];
}

/** One statement inside create_table's block: a column, an index or constraint (after), or unreadable. */
function createTableItem(table: string, c: Call, defs: string[], after: string[]): boolean {
  const cols = columnCall(c);
  if (cols) defs.push(...cols);
  else if (c.name === 'references' || c.name === 'belongs_to') {
    for (const a of c.args) {
      const parts = referenceParts(table, name(a), c.opts, true);
      defs.push(...parts.columns);
      after.push(...parts.after);
    }
  } else if (c.name === 'index') after.push(createIndex(table, c.args[0], c.opts));
  else if (c.name === 'check_constraint') {
    const expr = plainString(c.args[0]);
    defs.push(`CONSTRAINT ${q(c.opts.name ? name(c.opts.name) : checkName(table, expr))} CHECK (${expr})`);
  } else if (c.name === 'foreign_key') defs.push(foreignKeyClause(table, name(c.args[0]), c.opts));
  else return false;
  return true;
}

export function createTable(stmt: Stmt, c: Call, read: ReadCall, out: Out, code: string): void {
  const table = name(c.args[0]);
  const defs = primaryKey(table, c.opts);
  const after: string[] = [];
  const param = stmt.block?.params[0] ?? c.brace?.params[0];
  for (const s of stmt.block?.body ?? c.brace?.body ?? []) {
    const inner = read(s);
    let ok = false;
    try {
      ok = inner !== undefined && inner.recv === param && createTableItem(table, inner, defs, after);
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
    }
    if (!ok) out.unreadable(s);
  }
  const pre: string[] = [];
  const force = c.opts.force;
  if (force !== undefined && flag(c.opts, 'force'))
    pre.push(
      `DROP TABLE IF EXISTS ${q(table)}${force.k === 'sym' && force.v === 'cascade' ? ' CASCADE' : ''}`,
    );
  const ine = flag(c.opts, 'if_not_exists') ? 'IF NOT EXISTS ' : '';
  const body = defs.map((d) => `  ${d}`).join(',\n');
  out.sql(c.line, code, [...pre, `CREATE TABLE ${ine}${q(table)} (\n${body}\n)`, ...after]);
}

/** One `t.…` inside change_table, as the statements it sends. */
function changeTableItem(table: string, c: Call): string[] | undefined {
  const alter = `ALTER TABLE ${q(table)}`;
  const cols = columnCall(c);
  if (cols) return cols.map((d) => `${alter} ADD COLUMN ${d}`);
  switch (c.name) {
    case 'remove':
      return c.args.map((a) => `${alter} DROP COLUMN ${q(name(a))}`);
    case 'rename':
      return [`${alter} RENAME COLUMN ${q(name(c.args[0]))} TO ${q(name(c.args[1]))}`];
    case 'change':
      return [`${alter} ALTER COLUMN ${q(name(c.args[0]))} TYPE ${sqlType(name(c.args[1]), c.opts)}`];
    case 'index':
      return [createIndex(table, c.args[0], c.opts)];
    case 'remove_index':
      return [dropIndex(table, c.args[0], c.opts)];
    case 'remove_timestamps':
      return ['created_at', 'updated_at'].map((x) => `${alter} DROP COLUMN ${q(x)}`);
    case 'references':
    case 'belongs_to':
      return c.args.flatMap((a) => {
        const p = referenceParts(table, name(a), c.opts, false);
        return [...p.columns, ...p.after];
      });
    case 'foreign_key':
      return [addForeignKey(table, name(c.args[0]), c.opts)];
    default:
      return undefined;
  }
}

export function changeTable(stmt: Stmt, c: Call, read: ReadCall, out: Out): void {
  const table = name(c.args[0]);
  const param = stmt.block?.params[0] ?? c.brace?.params[0];
  for (const s of stmt.block?.body ?? c.brace?.body ?? []) {
    const inner = read(s);
    let sql: string[] | undefined;
    try {
      sql = inner !== undefined && inner.recv === param ? changeTableItem(table, inner) : undefined;
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
    }
    if (sql) out.sql(s.line, `change_table ${table}: t.${inner!.name}`, sql);
    else out.unreadable(s);
  }
}

/** DROP INDEX for remove_index :table, :column / column: / name:. */
export function dropIndex(table: string, col: Val | undefined, o: Record<string, Val>): string {
  let idx: string;
  if (o.name) idx = name(o.name);
  else if (col !== undefined || o.column) idx = indexName(table, names(col ?? o.column));
  else throw new Unreadable('remove_index without a column or name');
  const concurrently = o.algorithm?.k === 'sym' && o.algorithm.v === 'concurrently';
  const ie = flag(o, 'if_exists') ? 'IF EXISTS ' : '';
  return `DROP INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${ie}${q(idx)}`;
}
