// The migration DSL calls of a `change`/`up` method, translated to the SQL Active Record sends for them.
// Block constructs (create_table, change_table, reversible, up_only) are walked; anything else — Ruby
// logic, model code, data changes such as update_all — is reported line by line as unreadable.

import {
  addForeignKey,
  checkName,
  columnDef,
  createIndex,
  fkName,
  flag,
  literal,
  name,
  names,
  plainString,
  q,
  singular,
  sqlType,
  timestampOptions,
  Unreadable,
} from './rails-sql.js';
import { changeTable, createTable, dropIndex, type Out, referenceParts } from './rails-table.js';
import { type Call, readCall, type Stmt, type Val } from './ruby-tree.js';
import { REHEARSE } from './types.js';

type Simple = (c: Call) => string[];

const alter = (t: Val | undefined) => `ALTER TABLE ${q(name(t))}`;

/** Calls that translate from their arguments alone. */
const SIMPLE: Record<string, Simple> = {
  drop_table: (c) =>
    c.args.map((t) => {
      const cascade = c.opts.force?.k === 'sym' && c.opts.force.v === 'cascade' ? ' CASCADE' : '';
      return `DROP TABLE ${flag(c.opts, 'if_exists') ? 'IF EXISTS ' : ''}${q(name(t))}${cascade}`;
    }),
  rename_table: (c) => [`${alter(c.args[0])} RENAME TO ${q(name(c.args[1]))}`],
  add_column: (c) => [
    `${alter(c.args[0])} ADD COLUMN ${columnDef(name(c.args[1]), name(c.args[2]), c.opts)}`,
  ],
  remove_column: (c) => [
    `${alter(c.args[0])} DROP COLUMN ${flag(c.opts, 'if_exists') ? 'IF EXISTS ' : ''}${q(name(c.args[1]))}`,
  ],
  remove_columns: (c) => c.args.slice(1).map((col) => `${alter(c.args[0])} DROP COLUMN ${q(name(col))}`),
  rename_column: (c) => [`${alter(c.args[0])} RENAME COLUMN ${q(name(c.args[1]))} TO ${q(name(c.args[2]))}`],
  change_column: (c) => {
    const col = q(name(c.args[1]));
    const using = c.opts.using ? ` USING ${plainString(c.opts.using)}` : '';
    const out = [`${alter(c.args[0])} ALTER COLUMN ${col} TYPE ${sqlType(name(c.args[2]), c.opts)}${using}`];
    if (c.opts.default !== undefined)
      out.push(`${alter(c.args[0])} ALTER COLUMN ${col} SET DEFAULT ${literal(c.opts.default)}`);
    if (c.opts.null?.k === 'bool')
      out.push(`${alter(c.args[0])} ALTER COLUMN ${col} ${c.opts.null.v ? 'DROP' : 'SET'} NOT NULL`);
    return out;
  },
  change_column_null: (c) => {
    const col = q(name(c.args[1]));
    const allow = c.args[2];
    if (allow?.k !== 'bool') throw new Unreadable('change_column_null without true/false');
    const out: string[] = [];
    if (!allow.v && c.args[3] !== undefined)
      out.push(`UPDATE ${q(name(c.args[0]))} SET ${col} = ${literal(c.args[3])} WHERE ${col} IS NULL`);
    out.push(`${alter(c.args[0])} ALTER COLUMN ${col} ${allow.v ? 'DROP' : 'SET'} NOT NULL`);
    return out;
  },
  change_column_default: (c) => {
    const col = q(name(c.args[1]));
    const v = c.opts.to !== undefined || c.opts.from !== undefined ? (c.opts.to ?? { k: 'nil' }) : c.args[2];
    if (v === undefined) throw new Unreadable('change_column_default without a value');
    if (v.k === 'nil') return [`${alter(c.args[0])} ALTER COLUMN ${col} DROP DEFAULT`];
    return [`${alter(c.args[0])} ALTER COLUMN ${col} SET DEFAULT ${literal(v)}`];
  },
  add_index: (c) => [createIndex(name(c.args[0]), c.args[1], c.opts)],
  remove_index: (c) => [dropIndex(name(c.args[0]), c.args[1], c.opts)],
  rename_index: (c) => [`ALTER INDEX ${q(name(c.args[1]))} RENAME TO ${q(name(c.args[2]))}`],
  add_foreign_key: (c) => [addForeignKey(name(c.args[0]), name(c.args[1]), c.opts)],
  // Without name: the name Active Record gives the key it adds (fk_rails_<hash of table and column>).
  remove_foreign_key: (c) => [`${alter(c.args[0])} DROP CONSTRAINT ${q(foreignKeyName(c))}`],
  validate_foreign_key: (c) => [`${alter(c.args[0])} VALIDATE CONSTRAINT ${q(foreignKeyName(c))}`],
  create_enum: (c) => [
    `CREATE TYPE ${q(name(c.args[0]))} AS ENUM (${names(c.args[1])
      .map((v) => literal({ k: 'str', v, interp: false }))
      .join(', ')})`,
  ],
  add_enum_value: (c) => [
    `ALTER TYPE ${q(name(c.args[0]))} ADD VALUE ${flag(c.opts, 'if_not_exists') ? 'IF NOT EXISTS ' : ''}${literal({ k: 'str', v: name(c.args[1]), interp: false })}`,
  ],
  drop_enum: (c) => [`DROP TYPE ${flag(c.opts, 'if_exists') ? 'IF EXISTS ' : ''}${q(name(c.args[0]))}`],
  add_check_constraint: (c) => {
    const expr = plainString(c.args[1]);
    const n = c.opts.name ? name(c.opts.name) : checkName(name(c.args[0]), expr);
    const nv = c.opts.validate?.k === 'bool' && !c.opts.validate.v ? ' NOT VALID' : '';
    return [`${alter(c.args[0])} ADD CONSTRAINT ${q(n)} CHECK (${expr})${nv}`];
  },
  remove_check_constraint: (c) => {
    if (!c.opts.name) throw new Unreadable('remove_check_constraint without name:');
    return [`${alter(c.args[0])} DROP CONSTRAINT ${q(name(c.opts.name))}`];
  },
  validate_check_constraint: (c) => [`${alter(c.args[0])} VALIDATE CONSTRAINT ${q(name(c.opts.name))}`],
  add_reference: (c) => {
    const p = referenceParts(name(c.args[0]), name(c.args[1]), c.opts, false);
    return [...p.columns, ...p.after];
  },
  remove_reference: (c) => {
    const ref = name(c.args[1]);
    const cols = flag(c.opts, 'polymorphic') ? [`${ref}_type`, `${ref}_id`] : [`${ref}_id`];
    return cols.map((col) => `${alter(c.args[0])} DROP COLUMN ${q(col)}`);
  },
  add_timestamps: (c) =>
    ['created_at', 'updated_at'].map(
      (col) =>
        `${alter(c.args[0])} ADD COLUMN ${columnDef(col, 'datetime', timestampOptions({ null: { k: 'bool', v: false }, ...c.opts }))}`,
    ),
  remove_timestamps: (c) =>
    ['created_at', 'updated_at'].map((col) => `${alter(c.args[0])} DROP COLUMN ${q(col)}`),
  enable_extension: (c) => [`CREATE EXTENSION IF NOT EXISTS ${q(name(c.args[0]))}`],
  disable_extension: (c) => [`DROP EXTENSION IF EXISTS ${q(name(c.args[0]))} CASCADE`],
  change_column_comment: (c) => [
    `COMMENT ON COLUMN ${q(name(c.args[0]))}.${q(name(c.args[1]))} IS ${comment(c)}`,
  ],
  change_table_comment: (c) => [`COMMENT ON TABLE ${q(name(c.args[0]))} IS ${comment(c)}`],
  execute: (c) => [plainString(c.args[0])],
};
SIMPLE.add_belongs_to = SIMPLE.add_reference!;
SIMPLE.remove_belongs_to = SIMPLE.remove_reference!;
SIMPLE.remove_indexes = SIMPLE.remove_index!;

function foreignKeyName(c: Call): string {
  if (c.opts.name) return name(c.opts.name);
  const to = c.args[1] ?? c.opts.to_table;
  const column = c.opts.column ? name(c.opts.column) : to ? `${singular(name(to))}_id` : undefined;
  if (column === undefined) throw new Unreadable('a foreign key without a table, column or name');
  return fkName(name(c.args[0]), column);
}

function comment(c: Call): string {
  const v = c.opts.to ?? c.args[c.args.length - 1];
  return v === undefined || v.k === 'nil' ? 'NULL' : literal(v);
}

/** A bare call (no arguments, no block) that may name a helper method of the migration class. */
function isHelperCall(c: Call, block: unknown): boolean {
  return c.args.length === 0 && Object.keys(c.opts).length === 0 && !block && SIMPLE[c.name] === undefined;
}

/** Blocks whose contents run as if written inline (strong_migrations' safety_assured included). */
const TRANSPARENT = new Set(['up_only', 'say_with_time', 'safety_assured']);

/** Calls whose block only describes the table for `down` (drop_table :x do |t| … end). */
const BLOCK_IGNORED = new Set(['drop_table']);

/** Calls that only print or do nothing on the database. */
const SILENT = new Set(['say', 'puts']);

/** Source text of a statement's first line, for the comment above its SQL. */
export type CodeOf = (s: Stmt) => string;

/** Translates the statements of a `change`/`up` method body (or of a block inside it). */
export function translateBody(body: Stmt[], out: Out, codeOf: CodeOf): void {
  for (const s of body) translateStmt(s, out, codeOf);
}

function translateStmt(s: Stmt, out: Out, codeOf: CodeOf): void {
  const c = readCall(s);
  if (c === undefined || c.recv !== undefined) {
    out.unreadable(s);
    return;
  }
  const block = s.block ?? c.brace;
  try {
    if (c.name === 'create_table') createTable(s, c, readCall, out, codeOf(s));
    else if (c.name === 'change_table') changeTable(s, c, readCall, out);
    else if (c.name === 'reversible' && block) reversible(block.params[0], block.body, out, codeOf);
    else if (TRANSPARENT.has(c.name) && block) translateBody(block.body, out, codeOf);
    else if (isHelperCall(c, block) && out.helper?.(c.name)) translateBody(out.helper(c.name)!, out, codeOf);
    else if (SILENT.has(c.name) && !block) {
      // printing only
    } else {
      const simple = SIMPLE[c.name];
      if (simple === undefined || (block && !BLOCK_IGNORED.has(c.name))) out.unreadable(s);
      else {
        out.sql(c.line, codeOf(s), simple(c));
        // A guarded call (`remove_index … if index_exists?(…)`) is read as if it runs; the guard is a note.
        if (c.modifier)
          out.note(
            `line ${s.line}: guarded by \`${c.modifier} …\`, read as if it runs (the condition cannot be known statically) — ${REHEARSE}`,
          );
      }
    }
  } catch (e) {
    if (!(e instanceof Unreadable)) throw e;
    out.unreadable(s);
  }
}

/** `reversible do |dir| dir.up { … }; dir.down { … } end`: the up parts run forward, down is ignored. */
function reversible(param: string | undefined, body: Stmt[], out: Out, codeOf: CodeOf): void {
  for (const s of body) {
    const c = readCall(s);
    const block = s.block ?? c?.brace;
    if (c?.recv === param && c?.name === 'up' && block) translateBody(block.body, out, codeOf);
    else if (c?.recv === param && c?.name === 'down') continue;
    else out.unreadable(s);
  }
}
