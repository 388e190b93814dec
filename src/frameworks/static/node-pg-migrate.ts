// node-pg-migrate: a `.sql` migration is one `pgm.sql(text)` (its `-- Up Migration` part); a JS/TS one is
// read statically: `pgm.sql('…')` and the common builder calls are translated, anything else is a note.
// The CLI runs all pending migrations in ONE transaction unless a migration calls pgm.noTransaction().
import { readFileSync } from 'node:fs';
import { quoteIdent as q } from '../../db/connect.js';
import { callAt, type JsCall, type JsVal, jsTokens, strOf, strsOf, upFunction } from './js-scan.js';
import {
  absolute,
  fromFiles,
  type PendingRef,
  REHEARSE,
  type StaticMigration,
  terminated,
  unreadable,
} from './types.js';

/** The up part of a node-pg-migrate SQL file. */
export function sqlUp(text: string): string {
  const up = /^--\s*up migration\s*$/im.exec(text);
  const down = /^--\s*down migration\s*$/im.exec(text);
  const from = up ? up.index + up[0].length : 0;
  const to = down && down.index >= from ? down.index : text.length;
  return text.slice(from, to).replace(/^\s*\n/, '');
}

function table(v: JsVal | undefined): string {
  if (v?.k === 'str') return q(v.v);
  if (v?.k === 'obj' && strOf(v.o.name) !== undefined)
    return strOf(v.o.schema) ? `${q(strOf(v.o.schema)!)}.${q(strOf(v.o.name)!)}` : q(strOf(v.o.name)!);
  throw new Error('unreadable');
}

function lit(v: JsVal): string {
  if (v.k === 'str') return `'${v.v.replace(/'/g, "''")}'`;
  if (v.k === 'num') return v.v;
  if (v.k === 'bool') return v.v ? 'TRUE' : 'FALSE';
  if (v.k === 'null') return 'NULL';
  throw new Error('unreadable');
}

const flagOf = (o: JsVal | undefined, key: string) =>
  o?.k === 'obj' && o.o[key]?.k === 'bool' && (o.o[key] as { v: boolean }).v;

/** `'text'` or `{ type, notNull, default, primaryKey }`, with node-pg-migrate's `id` shorthand. */
function columnDef(col: string, v: JsVal): string {
  if (v.k === 'str') return v.v === 'id' ? `${q(col)} serial PRIMARY KEY` : `${q(col)} ${v.v}`;
  if (v.k !== 'obj' || strOf(v.o.type) === undefined) throw new Error('unreadable');
  let def = `${q(col)} ${strOf(v.o.type)}`;
  if (flagOf(v, 'primaryKey')) def += ' PRIMARY KEY';
  if (v.o.default !== undefined) def += ` DEFAULT ${lit(v.o.default)}`;
  if (flagOf(v, 'notNull')) def += ' NOT NULL';
  if (flagOf(v, 'unique')) def += ' UNIQUE';
  if (strOf(v.o.references)) def += ` REFERENCES ${q(strOf(v.o.references)!)}`;
  return def;
}

function columnsOf(v: JsVal | undefined): string[] {
  if (v?.k !== 'obj') throw new Error('unreadable');
  return Object.entries(v.o).map(([c, d]) => columnDef(c, d));
}

function createIndex(c: JsCall): string {
  const [t, colsV, opts] = c.args;
  const cols = strsOf(colsV);
  if (!cols) throw new Error('unreadable');
  const o = opts?.k === 'obj' ? opts.o : {};
  const tname = strOf(t) ?? strOf(t?.k === 'obj' ? t.o.name : undefined) ?? '';
  const unique = flagOf(opts, 'unique');
  const name = strOf(o.name) ?? `${tname}_${cols.join('_')}_${unique ? 'unique_' : ''}index`;
  const conc = flagOf(opts, 'concurrently') ? 'CONCURRENTLY ' : '';
  const method = strOf(o.method) ? ` USING ${strOf(o.method)}` : '';
  const where = strOf(o.where) ? ` WHERE ${strOf(o.where)}` : '';
  const list = cols.map((x) => (/^[\w]+$/.test(x) ? q(x) : x)).join(', ');
  return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${conc}${flagOf(opts, 'ifNotExists') ? 'IF NOT EXISTS ' : ''}${q(name)} ON ${table(t)}${method} (${list})${where}`;
}

/** One ALTER TABLE with its actions comma-separated, as node-pg-migrate writes them. */
function alterTable(t: JsVal | undefined, actions: string[]): string[] {
  if (actions.length === 0) throw new Error('unreadable');
  return [`ALTER TABLE ${table(t)}\n  ${actions.join(',\n  ')}`];
}

function alterColumn(c: JsCall): string[] {
  const [t, col, opts] = c.args;
  if (opts?.k !== 'obj' || strOf(col) === undefined) throw new Error('unreadable');
  const at = `ALTER COLUMN ${q(strOf(col)!)}`;
  const out: string[] = [];
  if (opts.o.default !== undefined)
    out.push(opts.o.default.k === 'null' ? `${at} DROP DEFAULT` : `${at} SET DEFAULT ${lit(opts.o.default)}`);
  if (strOf(opts.o.type))
    out.push(`${at} TYPE ${strOf(opts.o.type)}${strOf(opts.o.using) ? ` USING ${strOf(opts.o.using)}` : ''}`);
  if (opts.o.notNull?.k === 'bool') out.push(`${at} ${opts.o.notNull.v ? 'SET' : 'DROP'} NOT NULL`);
  return alterTable(t, out);
}

type Translate = (c: JsCall) => string[];

const PGM: Record<string, Translate> = {
  sql: (c) => {
    const s = strOf(c.args[0]);
    if (s === undefined || c.args.length > 1) throw new Error('unreadable');
    return [s];
  },
  dropTable: (c) => [
    `DROP TABLE ${flagOf(c.args[1], 'ifExists') ? 'IF EXISTS ' : ''}${table(c.args[0])}${flagOf(c.args[1], 'cascade') ? ' CASCADE' : ''}`,
  ],
  renameTable: (c) => [`ALTER TABLE ${table(c.args[0])} RENAME TO ${table(c.args[1])}`],
  createTable: (c) => [
    `CREATE TABLE ${flagOf(c.args[2], 'ifNotExists') ? 'IF NOT EXISTS ' : ''}${table(c.args[0])} (\n  ${columnsOf(c.args[1]).join(',\n  ')}\n)`,
  ],
  addColumns: (c) =>
    alterTable(
      c.args[0],
      columnsOf(c.args[1]).map((d) => `ADD COLUMN ${d}`),
    ),
  dropColumns: (c) => {
    const cols = strsOf(c.args[1]) ?? (c.args[1]?.k === 'obj' ? Object.keys(c.args[1].o) : undefined);
    if (!cols) throw new Error('unreadable');
    const ie = flagOf(c.args[2], 'ifExists') ? 'IF EXISTS ' : '';
    const cascade = flagOf(c.args[2], 'cascade') ? ' CASCADE' : '';
    return alterTable(
      c.args[0],
      cols.map((x) => `DROP COLUMN ${ie}${q(x)}${cascade}`),
    );
  },
  renameColumn: (c) => [
    `ALTER TABLE ${table(c.args[0])} RENAME COLUMN ${q(strOf(c.args[1])!)} TO ${q(strOf(c.args[2])!)}`,
  ],
  alterColumn,
  createIndex: (c) => [createIndex(c)],
  dropIndex: (c) => {
    const cols = strsOf(c.args[1]) ?? [];
    const o = c.args[2]?.k === 'obj' ? c.args[2].o : {};
    const name =
      strOf(o.name) ??
      `${strOf(c.args[0]) ?? ''}_${cols.join('_')}_${flagOf(c.args[2], 'unique') ? 'unique_' : ''}index`;
    return [
      `DROP INDEX ${flagOf(c.args[2], 'concurrently') ? 'CONCURRENTLY ' : ''}${flagOf(c.args[2], 'ifExists') ? 'IF EXISTS ' : ''}${q(name)}`,
    ];
  },
  addConstraint: (c) => {
    const expr = strOf(c.args[2]);
    if (expr === undefined || strOf(c.args[1]) === undefined) throw new Error('unreadable');
    return [`ALTER TABLE ${table(c.args[0])} ADD CONSTRAINT ${q(strOf(c.args[1])!)} ${expr}`];
  },
  dropConstraint: (c) => [
    `ALTER TABLE ${table(c.args[0])} DROP CONSTRAINT ${flagOf(c.args[2], 'ifExists') ? 'IF EXISTS ' : ''}${q(strOf(c.args[1])!)}`,
  ],
};
PGM.addIndex = PGM.createIndex!;
PGM.addColumn = PGM.addColumns!;
PGM.dropColumn = PGM.dropColumns!;
PGM.removeColumns = PGM.dropColumns!;
PGM.addColumns = PGM.addColumns!;

export interface JsReading {
  sql: string | undefined;
  wrapped: boolean;
  notes: string[];
}

/** Reads a JS/TS node-pg-migrate migration's `up`; pure. */
export function readPgmSource(src: string): JsReading {
  const t = jsTokens(src);
  const up = upFunction(t);
  if (!up) return { sql: undefined, wrapped: true, notes: [`no exported up function found — ${REHEARSE}`] };
  const parts: string[] = [];
  const notes: string[] = [];
  let wrapped = true;
  const lines = src.split('\n');
  for (let i = up.from; i < up.to; i++) {
    if (!(t[i]!.kind === 'id' && t[i]!.v === up.param && t[i + 1]?.v === '.')) continue;
    const c = callAt(t, i);
    if (!c) continue;
    i = c.end - 1;
    const method = c.path[1] ?? '';
    if (method === 'noTransaction' && c.path.length === 2) {
      wrapped = false;
      continue;
    }
    const tr = c.path.length === 2 ? PGM[method] : undefined;
    let sql: string[] | undefined;
    try {
      sql = tr?.(c);
    } catch {
      sql = undefined;
    }
    if (sql) parts.push(`-- line ${c.line}: pgm.${method}\n${sql.map(terminated).join('\n')}`);
    else notes.push(unreadable(c.line, (lines[c.line - 1] ?? '').trim()));
  }
  return { sql: `${parts.join('\n\n')}\n`, wrapped, notes };
}

export function readNodePgMigrate(dir: string, m: PendingRef): StaticMigration {
  const file = absolute(dir, m.file ?? m.version);
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (file.endsWith('.sql')) return fromFiles(m.version, [file], sqlUp(text), true);
  const r = readPgmSource(text);
  return fromFiles(m.version, [file], r.sql, r.wrapped, r.notes);
}
