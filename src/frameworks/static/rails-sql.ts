// Pieces of the SQL Active Record's PostgreSQL adapter generates: native types, column definitions,
// literals, index and constraint names (Rails' own naming rules), all identifiers quoted.
import { createHash } from 'node:crypto';
import { quoteIdent } from '../../db/connect.js';
import type { Val } from './ruby-tree.js';

/** Thrown when a construct is recognised but an argument cannot be known statically. */
export class Unreadable extends Error {}

export const q = quoteIdent;

/**
 * The `ActiveRecord::Migration[x.y]` version of the migration being read: its compatibility layer decides
 * defaults (datetime columns get precision 6 from 7.0, timestamps from 6.0). Set for one synchronous reading.
 */
let migrationVersion = 99;

export function withMigrationVersion<T>(version: number, fn: () => T): T {
  const before = migrationVersion;
  migrationVersion = version;
  try {
    return fn();
  } finally {
    migrationVersion = before;
  }
}

/** Precision 6 for t.timestamps / add_timestamps (Rails ≥ 6.0 migrations). */
export function timestampOptions(o: Record<string, Val>): Record<string, Val> {
  return migrationVersion >= 6 && o.precision === undefined ? { precision: { k: 'num', v: '6' }, ...o } : o;
}

/** Active Record's NATIVE_DATABASE_TYPES for PostgreSQL (datetime is timestamp(6) in Rails ≥ 7.0 migrations). */
const TYPES: Record<string, string> = {
  primary_key: 'bigserial PRIMARY KEY',
  string: 'character varying',
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  float: 'float',
  decimal: 'decimal',
  numeric: 'numeric',
  datetime: 'timestamp(6)',
  timestamp: 'timestamp',
  timestamptz: 'timestamp with time zone',
  time: 'time',
  date: 'date',
  binary: 'bytea',
  boolean: 'boolean',
  json: 'json',
  jsonb: 'jsonb',
  uuid: 'uuid',
  inet: 'inet',
  cidr: 'cidr',
  macaddr: 'macaddr',
  hstore: 'hstore',
  citext: 'citext',
  interval: 'interval',
  money: 'money',
  xml: 'xml',
  tsvector: 'tsvector',
  ltree: 'ltree',
  serial: 'serial',
  bigserial: 'bigserial',
  daterange: 'daterange',
  tsrange: 'tsrange',
  tstzrange: 'tstzrange',
  int4range: 'int4range',
  int8range: 'int8range',
  numrange: 'numrange',
  point: 'point',
  line: 'line',
  lseg: 'lseg',
  box: 'box',
  path: 'path',
  polygon: 'polygon',
  circle: 'circle',
  bit: 'bit',
  bit_varying: 'bit varying',
  oid: 'oid',
  virtual: 'virtual',
};

export function name(v: Val | undefined): string {
  if (v?.k === 'sym' || (v?.k === 'str' && !v.interp)) return v.v;
  throw new Unreadable('a name that is not a literal');
}

export function names(v: Val | undefined): string[] {
  if (v?.k === 'arr') return v.items.map(name);
  return [name(v)];
}

/** The SQL type for `t.<type>` / `add_column … :<type>` with limit/precision/scale/array. */
export function sqlType(type: string, o: Record<string, Val>): string {
  // t.enum :status, enum_type: :status_type → the enum type itself.
  if (type === 'enum' && o.enum_type)
    return `${q(name(o.enum_type))}${o.array?.k === 'bool' && o.array.v ? '[]' : ''}`;
  const base = type === 'datetime' && migrationVersion < 7 ? 'timestamp' : (TYPES[type] ?? type);
  let out = base;
  const num = (k: string) => (o[k]?.k === 'num' ? (o[k] as { v: string }).v : undefined);
  const limit = num('limit');
  const precision = num('precision');
  const scale = num('scale');
  if (type === 'string' && limit) out = `character varying(${limit})`;
  else if (type === 'integer' && limit)
    out = Number(limit) <= 2 ? 'smallint' : Number(limit) <= 4 ? 'integer' : 'bigint';
  else if ((type === 'decimal' || type === 'numeric') && precision)
    out = `${base}(${precision}${scale ? `,${scale}` : ''})`;
  else if ((type === 'datetime' || type === 'timestamp' || type === 'time') && precision)
    out = `${type === 'time' ? 'time' : 'timestamp'}(${precision})`;
  else if (type === 'binary' || type === 'text') out = base;
  if (o.array?.k === 'bool' && o.array.v) out += '[]';
  return out;
}

/** A Ruby literal as a SQL literal (defaults); a lambda or expression cannot be read. */
export function literal(v: Val): string {
  switch (v.k) {
    case 'str':
      if (v.interp) throw new Unreadable('an interpolated string');
      return `'${v.v.replace(/'/g, "''")}'`;
    case 'sym':
      return `'${v.v.replace(/'/g, "''")}'`;
    case 'num':
      return v.v;
    case 'bool':
      return v.v ? 'TRUE' : 'FALSE';
    case 'nil':
      return 'NULL';
    case 'arr':
      return `'{${v.items.map((i) => (i.k === 'str' || i.k === 'sym' ? `"${i.v.replace(/"/g, '\\"')}"` : literal(i))).join(',')}}'`;
    case 'hash':
      return `'${JSON.stringify(jsonOf(v)).replace(/'/g, "''")}'`;
    case 'expr':
      return v.v;
    default:
      throw new Unreadable('a default that is not a literal');
  }
}

/** A hash/array default of literals as the JSON Rails stores for json/jsonb columns. */
function jsonOf(v: Val): unknown {
  switch (v.k) {
    case 'hash':
      return Object.fromEntries(Object.entries(v.h).map(([k, x]) => [k, jsonOf(x)]));
    case 'arr':
      return v.items.map(jsonOf);
    case 'str':
      if (v.interp) throw new Unreadable('an interpolated string');
      return v.v;
    case 'sym':
      return v.v;
    case 'num':
      return Number(v.v);
    case 'bool':
      return v.v;
    case 'nil':
      return null;
    default:
      throw new Unreadable('a default that is not a literal');
  }
}

/** ` DEFAULT …` / ` NOT NULL` parts of a column definition. */
export function columnOptions(o: Record<string, Val>): string {
  let out = '';
  if (o.default !== undefined) out += ` DEFAULT ${literal(o.default)}`;
  if (o.null?.k === 'bool' && !o.null.v) out += ' NOT NULL';
  return out;
}

export function columnDef(col: string, type: string, o: Record<string, Val>): string {
  if (type === 'primary_key') return `${q(col)} bigserial PRIMARY KEY`;
  return `${q(col)} ${sqlType(type, o)}${columnOptions(o)}`;
}

/** Rails' default index name: index_<table>_on_<a>_and_<b>. */
export function indexName(table: string, cols: string[]): string {
  return `index_${table}_on_${cols.join('_and_')}`;
}

export function flag(o: Record<string, Val>, key: string): boolean {
  const v = o[key];
  return v !== undefined && v.k !== 'nil' && !(v.k === 'bool' && !v.v);
}

/** CREATE [UNIQUE] INDEX [CONCURRENTLY] … as add_index / t.index write it. */
export function createIndex(table: string, columns: Val | undefined, o: Record<string, Val>): string {
  // A string column list is an expression (`"lower(email)"`); a symbol or array is column names.
  const expr = columns?.k === 'str';
  const cols = expr ? [] : names(columns);
  const idx = o.name ? name(o.name) : indexName(table, expr ? [columns.v.replace(/\W+/g, '_')] : cols);
  const concurrently = o.algorithm?.k === 'sym' && o.algorithm.v === 'concurrently';
  const using = o.using ? ` USING ${name(o.using)}` : '';
  const list = expr ? (columns as { v: string }).v : cols.map(q).join(', ');
  const where = o.where ? ` WHERE ${plainString(o.where)}` : '';
  const ine = flag(o, 'if_not_exists') ? ' IF NOT EXISTS' : '';
  return `CREATE ${flag(o, 'unique') ? 'UNIQUE ' : ''}INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${ine}${q(idx)} ON ${q(table)}${using} (${list})${where}`;
}

export function plainString(v: Val | undefined): string {
  if (v?.k === 'str' && !v.interp) return v.v;
  throw new Unreadable('a string that is not a literal');
}

/** Naive singular, as `add_foreign_key :orders, :users` needs for the column `user_id`. */
export function singular(word: string): string {
  if (/ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(s|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (/s$/.test(word) && !/ss$/.test(word)) return word.slice(0, -1);
  return word;
}

/** Naive plural for `add_reference :orders, :user` → references users. */
export function plural(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

/** fk_rails_<10 hex>, as Active Record names foreign keys (a hash of table, column and a suffix). */
export function fkName(table: string, column: string): string {
  return `fk_rails_${createHash('sha256').update(`${table}_${column}_fk`).digest('hex').slice(0, 10)}`;
}

/** chk_rails_<10 hex> for check constraints. */
export function checkName(table: string, expr: string): string {
  return `chk_rails_${createHash('sha256').update(`${table}_${expr}_chk`).digest('hex').slice(0, 10)}`;
}

const FK_ACTIONS: Record<string, string> = {
  cascade: 'CASCADE',
  nullify: 'SET NULL',
  restrict: 'RESTRICT',
  no_action: 'NO ACTION',
};

/** ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY, NOT VALID with `validate: false`. */
export function addForeignKey(from: string, to: string, o: Record<string, Val>): string {
  return `ALTER TABLE ${q(from)} ADD ${foreignKeyClause(from, to, o)}`;
}

/** CONSTRAINT … FOREIGN KEY … REFERENCES … (inline in CREATE TABLE, or after ALTER TABLE … ADD). */
export function foreignKeyClause(from: string, to: string, o: Record<string, Val>): string {
  const column = o.column ? name(o.column) : `${singular(to)}_id`;
  const pk = o.primary_key ? name(o.primary_key) : 'id';
  const fk = o.name ? name(o.name) : fkName(from, column);
  let sql = `CONSTRAINT ${q(fk)} FOREIGN KEY (${q(column)}) REFERENCES ${q(to)} (${q(pk)})`;
  for (const [key, clause] of [
    ['on_delete', 'ON DELETE'],
    ['on_update', 'ON UPDATE'],
  ] as const) {
    const v = o[key];
    if (v?.k === 'sym' && FK_ACTIONS[v.v]) sql += ` ${clause} ${FK_ACTIONS[v.v]}`;
  }
  if (o.validate?.k === 'bool' && !o.validate.v) sql += ' NOT VALID';
  return sql;
}
