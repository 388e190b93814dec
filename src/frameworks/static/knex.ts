// Knex: a JS/TS migration read statically — `knex.raw('…')` / `knex.schema.raw('…')`, and the schema
// builder calls (dropTable, renameTable, createTable/alterTable with their column builders, renameColumn,
// dropColumn, index, `.alter()`) translated to the SQL Knex's PostgreSQL dialect sends. Anything else —
// data queries, conditions, loops — is a note. Knex runs all pending migrations in ONE transaction unless
// a migration exports `config = { transaction: false }`. A `.sql` file is taken as the SQL.
import { readFileSync } from 'node:fs';
import { quoteIdent as q } from '../../db/connect.js';
import {
  callAt,
  type JsCall,
  type JsTok,
  type JsVal,
  jsTokens,
  strOf,
  strsOf,
  upFunction,
} from './js-scan.js';
import type { JsReading } from './node-pg-migrate.js';
import {
  absolute,
  fromFiles,
  type PendingRef,
  REHEARSE,
  type StaticMigration,
  terminated,
  unreadable,
} from './types.js';

class Unreadable extends Error {}

function need<T>(v: T | undefined): T {
  if (v === undefined) throw new Unreadable();
  return v;
}

function lit(v: JsVal | undefined): string {
  if (v?.k === 'str') return `'${v.v.replace(/'/g, "''")}'`;
  if (v?.k === 'num') return v.v;
  if (v?.k === 'bool') return v.v ? 'TRUE' : 'FALSE';
  if (v?.k === 'null') return 'NULL';
  throw new Unreadable();
}

/** Knex's PostgreSQL column types by builder method; `undefined` = not a column builder. */
function knexType(c: JsCall): string | undefined {
  const [, a, b] = c.args;
  const num = (v: JsVal | undefined, d: string) => (v?.k === 'num' ? v.v : d);
  const method = c.path[c.path.length - 1]!;
  const types: Record<string, () => string> = {
    increments: () => 'serial PRIMARY KEY',
    bigIncrements: () => 'bigserial PRIMARY KEY',
    integer: () => 'integer',
    bigInteger: () => 'bigint',
    tinyint: () => 'smallint',
    smallint: () => 'smallint',
    string: () => `varchar(${num(a, '255')})`,
    text: () => 'text',
    boolean: () => 'boolean',
    date: () => 'date',
    datetime: () => 'timestamptz',
    timestamp: () => 'timestamptz',
    time: () => 'time',
    float: () => 'real',
    double: () => 'double precision',
    decimal: () => `decimal(${num(a, '8')}, ${num(b, '2')})`,
    uuid: () => 'uuid',
    json: () => 'json',
    jsonb: () => 'jsonb',
    binary: () => 'bytea',
    specificType: () => need(strOf(a)),
  };
  return types[method]?.();
}

/** A column builder chain (`t.string('x').notNullable().defaultTo('a')`): its definition, and the
 * constraints Knex adds after it (`unique()`, `references()`), as separate ALTER TABLE statements. */
function columnDef(
  table: string,
  c: JsCall,
): {
  col: string;
  type: string;
  def: string;
  alter: boolean;
  notNull?: boolean;
  dflt?: string;
  constraints: string[];
} {
  const col = need(strOf(c.args[0]));
  const type = need(knexType(c));
  let def = `${q(col)} ${type}`;
  let notNull: boolean | undefined;
  let dflt: string | undefined;
  let alter = false;
  const constraints: string[] = [];
  const T = `ALTER TABLE ${q(table)}`;
  for (const m of c.chain) {
    if (m.name === 'notNullable') notNull = true;
    else if (m.name === 'nullable') notNull = false;
    else if (m.name === 'defaultTo') dflt = lit(m.args[0]);
    else if (m.name === 'alter') alter = true;
    else if (m.name === 'primary') def += ' PRIMARY KEY';
    else if (m.name === 'unique')
      constraints.push(`${T} ADD CONSTRAINT ${q(indexName(table, [col], 'unique'))} UNIQUE (${q(col)})`);
    else if (m.name === 'references') {
      const ref = need(strOf(m.args[0]));
      const inTable = strOf(c.chain.find((x) => x.name === 'inTable')?.args[0]);
      const [tbl, key] = inTable ? [inTable, ref] : ref.split('.');
      constraints.push(
        `${T} ADD CONSTRAINT ${q(indexName(table, [col], 'foreign'))} FOREIGN KEY (${q(col)}) REFERENCES ${q(need(tbl))} (${q(need(key))})`,
      );
    } else if (!['unsigned', 'comment', 'inTable', 'onDelete', 'onUpdate', 'index'].includes(m.name))
      throw new Unreadable();
  }
  if (dflt !== undefined) def += ` DEFAULT ${dflt}`;
  if (notNull) def += ' NOT NULL';
  return {
    col,
    type,
    def,
    alter,
    constraints,
    ...(notNull !== undefined ? { notNull } : {}),
    ...(dflt !== undefined ? { dflt } : {}),
  };
}

const indexName = (table: string, cols: string[], suffix: string) =>
  `${table}_${cols.join('_')}_${suffix}`.toLowerCase().replace(/[-.]/g, '_');

/** One call on the table builder inside alterTable/table/createTable. */
function tableItem(table: string, c: JsCall, create: boolean, defs: string[]): string[] {
  const T = `ALTER TABLE ${q(table)}`;
  const method = c.path[c.path.length - 1]!;
  const cols = () => need(strsOf(c.args[0]));
  switch (method) {
    case 'dropColumn':
    case 'dropColumns':
      return c.args.flatMap((a) => need(strsOf(a))).map((x) => `${T} DROP COLUMN ${q(x)}`);
    case 'renameColumn':
      return [`${T} RENAME COLUMN ${q(need(strOf(c.args[0])))} TO ${q(need(strOf(c.args[1])))}`];
    case 'index':
      return [
        `CREATE INDEX ${q(strOf(c.args[1]) ?? indexName(table, cols(), 'index'))} ON ${q(table)} (${cols().map(q).join(', ')})`,
      ];
    case 'unique':
      return [
        `${T} ADD CONSTRAINT ${q(strOf(c.args[1]) ?? indexName(table, cols(), 'unique'))} UNIQUE (${cols().map(q).join(', ')})`,
      ];
    case 'dropIndex':
      return [`DROP INDEX ${q(strOf(c.args[1]) ?? indexName(table, cols(), 'index'))}`];
    case 'dropUnique':
      return [`${T} DROP CONSTRAINT ${q(strOf(c.args[1]) ?? indexName(table, cols(), 'unique'))}`];
    case 'dropForeign':
      return [`${T} DROP CONSTRAINT ${q(strOf(c.args[1]) ?? indexName(table, cols(), 'foreign'))}`];
    case 'setNullable':
    case 'dropNullable':
      return [
        `${T} ALTER COLUMN ${q(need(strOf(c.args[0])))} ${method === 'setNullable' ? 'DROP' : 'SET'} NOT NULL`,
      ];
    case 'timestamps':
      if (create) {
        defs.push(...['created_at', 'updated_at'].map((x) => `${q(x)} timestamptz`));
        return [];
      }
      return ['created_at', 'updated_at'].map((x) => `${T} ADD COLUMN ${q(x)} timestamptz`);
    case 'dropTimestamps':
      return ['created_at', 'updated_at'].map((x) => `${T} DROP COLUMN ${q(x)}`);
  }
  const d = columnDef(table, c);
  if (create) {
    defs.push(d.def);
    return d.constraints;
  }
  if (!d.alter) return [`${T} ADD COLUMN ${d.def}`, ...d.constraints];
  // Knex's .alter() restates the column: default and NOT NULL dropped, the type, then both as now written.
  const at = `${T} ALTER COLUMN ${q(d.col)}`;
  return [
    `${at} DROP DEFAULT`,
    `${at} DROP NOT NULL`,
    `${at} TYPE ${d.type} USING (${q(d.col)}::${d.type})`,
    ...(d.notNull ? [`${at} SET NOT NULL`] : []),
    ...(d.dflt !== undefined ? [`${at} SET DEFAULT ${d.dflt}`] : []),
    ...d.constraints,
  ];
}

interface Ctx {
  t: JsTok[];
  parts: string[];
  notes: string[];
  lines: string[];
}

function emit(ctx: Ctx, line: number, what: string, sql: string[]): void {
  if (sql.length) ctx.parts.push(`-- line ${line}: ${what}\n${sql.map(terminated).join('\n')}`);
}

/** The callback of alterTable/createTable: each `<param>.method(…)` statement. */
function tableBlock(ctx: Ctx, table: string, fn: JsVal | undefined, create: boolean): string[] {
  if (fn?.k !== 'fn') throw new Unreadable();
  const defs: string[] = [];
  const after: string[] = [];
  for (let i = fn.from; i < fn.to; i++) {
    const x = ctx.t[i]!;
    if (!(x.kind === 'id' && x.v === fn.param && ctx.t[i + 1]?.v === '.')) continue;
    const c = callAt(ctx.t, i);
    if (!c) continue;
    i = c.end - 1;
    try {
      const sql = tableItem(table, c, create, defs);
      if (create) after.push(...sql);
      else emit(ctx, c.line, `${table}: ${c.path.slice(1).join('.')}`, sql);
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
      ctx.notes.push(unreadable(c.line, (ctx.lines[c.line - 1] ?? '').trim()));
    }
  }
  return create ? [`CREATE TABLE ${q(table)} (\n  ${defs.join(',\n  ')}\n)`, ...after] : [];
}

/** One schema method (`dropTable`, `alterTable`, …) with its arguments. */
function schemaCall(ctx: Ctx, method: string, args: JsVal[], line: number): boolean {
  const name = strOf(args[0]);
  const what = `schema.${method}`;
  if (method === 'raw') emit(ctx, line, what, [need(strOf(args[0]))]);
  else if (method === 'dropTable' || method === 'dropTableIfExists')
    emit(ctx, line, what, [
      `DROP TABLE ${method === 'dropTableIfExists' ? 'IF EXISTS ' : ''}${q(need(name))}`,
    ]);
  else if (method === 'renameTable')
    emit(ctx, line, what, [`ALTER TABLE ${q(need(name))} RENAME TO ${q(need(strOf(args[1])))}`]);
  else if (method === 'alterTable' || method === 'table') tableBlock(ctx, need(name), args[1], false);
  else if (method === 'createTable') emit(ctx, line, what, tableBlock(ctx, need(name), args[1], true));
  else return false;
  return true;
}

/** A top-level call in `up`: knex.raw, knex.schema.…(…).…(…), or anything else (a note). */
function topCall(ctx: Ctx, c: JsCall, param: string | undefined): void {
  const note = () => {
    ctx.notes.push(unreadable(c.line, (ctx.lines[c.line - 1] ?? '').trim()));
  };
  try {
    const isRaw =
      c.path[0] === param && c.path[c.path.length - 1] === 'raw' && c.path.length <= 3 && c.args.length === 1;
    if (isRaw) emit(ctx, c.line, 'raw', [need(strOf(c.args[0]))]);
    else if (!(c.path[0] === param && c.path[1] === 'schema' && c.path.length === 3)) note();
    else if (!schemaCall(ctx, c.path[2]!, c.args, c.line)) note();
    else for (const m of c.chain) if (m.name !== 'then' && !schemaCall(ctx, m.name, m.args, c.line)) note();
  } catch (e) {
    if (!(e instanceof Unreadable)) throw e;
    note();
  }
}

const NOT_CALLS = new Set(['return', 'await', 'async', 'function', 'const', 'let', 'var', 'new', 'Promise']);

/** Reads a Knex migration's `up`; pure. */
export function readKnexSource(src: string): JsReading {
  const t = jsTokens(src);
  const wrapped = !/\bconfig\s*=\s*\{[^}]*\btransaction\s*:\s*false/.test(src);
  const up = upFunction(t);
  if (!up) return { sql: undefined, wrapped, notes: [`no exported up function found — ${REHEARSE}`] };
  const ctx: Ctx = { t, parts: [], notes: [], lines: src.split('\n') };
  for (let i = up.from; i < up.to; i++) {
    const x = t[i]!;
    if (x.kind !== 'id' || NOT_CALLS.has(x.v) || t[i - 1]?.v === '.') continue;
    const c = callAt(t, i);
    if (!c) continue;
    // Promise.all([...]) and similar wrappers: look inside rather than at the wrapper.
    if (c.path[0] !== up.param) continue;
    topCall(ctx, c, up.param);
    i = c.end - 1;
  }
  return { sql: `${ctx.parts.join('\n\n')}\n`, wrapped, notes: ctx.notes };
}

export function readKnex(dir: string, m: PendingRef): StaticMigration {
  const file = absolute(dir, m.file ?? m.version);
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (file.endsWith('.sql')) return fromFiles(m.version, [file], text, true);
  const r = readKnexSource(text);
  return fromFiles(m.version, [file], r.sql, r.wrapped, r.notes);
}
