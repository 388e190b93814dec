// Rails: a static reading of `db/migrate/<version>_<name>.rb`. The migration class's `change` (or, without
// it, `up`) is read as the DSL subset in rails-dsl.ts and turned into the SQL Active Record would send;
// `disable_ddl_transaction!` means no transaction (Rails wraps each migration in one by default).
import { readFileSync } from 'node:fs';
import { listDir } from '../common.js';
import { translateBody } from './rails-dsl.js';
import { withMigrationVersion } from './rails-sql.js';
import type { Out } from './rails-table.js';
import { tokenize } from './ruby-lex.js';
import { readTree, type Stmt } from './ruby-tree.js';
import {
  absolute,
  fromFiles,
  nothingRead,
  type PendingRef,
  REHEARSE,
  type StaticMigration,
  terminated,
  unreadable,
} from './types.js';

export interface RailsReading {
  sql: string | undefined;
  wrapped: boolean;
  notes: string[];
}

/** The name of a `def` (`def change`, `def self.up`). */
function defName(s: Stmt): string | undefined {
  const first = s.toks[0];
  if (first?.kind !== 'id' || first.v !== 'def') return undefined;
  const [, a, dot, b] = s.toks;
  const name = a?.v === 'self' && dot?.v === '.' ? b : a;
  return name?.kind === 'id' ? name.v : undefined;
}

/** The class that inherits from ActiveRecord::Migration (the first class otherwise) and its `[x.y]`. */
function migrationClass(tree: Stmt[]): { body: Stmt[] | undefined; version: number } {
  const classes = tree.filter((s) => s.toks[0]?.v === 'class' && s.block);
  const migration = classes.find((s) => s.toks.some((t) => t.v === 'Migration')) ?? classes[0];
  const at = migration?.toks.findIndex((t) => t.v === 'Migration') ?? -1;
  const v = at >= 0 && migration?.toks[at + 1]?.v === '[' ? Number(migration.toks[at + 2]?.v) : Number.NaN;
  // A bare ActiveRecord::Migration is Rails 4; without a readable version, assume the newest.
  return { body: migration?.block?.body, version: Number.isFinite(v) ? v : at >= 0 ? 4.2 : 99 };
}

/** Class-level statements that declare rather than run (nested classes are `class`, constants `const`). */
const CLASS_LEVEL = new Set([
  'class',
  'module',
  'private',
  'protected',
  'public',
  'include',
  'extend',
  'require',
  'self',
]);

/** Reads one migration's source; pure. */
export function readRailsSource(source: string): RailsReading {
  const lines = source.split('\n');
  const notes: string[] = [];
  const parts: string[] = [];
  const codeOf = (s: Stmt) => (lines[s.line - 1] ?? '').trim();
  const out: Out = {
    sql(line, code, statements) {
      parts.push(
        `-- line ${line}: ${code.replace(/\s+/g, ' ').slice(0, 100)}\n${statements.map(terminated).join('\n')}`,
      );
    },
    unreadable(s) {
      notes.push(unreadable(s.line, codeOf(s)));
    },
    note(text) {
      notes.push(text);
    },
    // A helper without parameters is read where it is called (a bounded number of times: recursion stops).
    helper(name) {
      const def = methods.get(name);
      if (def === undefined || def.toks.some((t) => t.v === '(') || ++expansions > 100) return undefined;
      return def.block?.body;
    },
  };
  const methods = new Map<string, Stmt>();
  let expansions = 0;
  const { body, version } = migrationClass(readTree(tokenize(source)));
  if (body === undefined)
    return { sql: undefined, wrapped: true, notes: [`no migration class found — ${REHEARSE}`] };
  let wrapped = true;
  for (const s of body) {
    const first = s.toks[0];
    const n = defName(s);
    if (n !== undefined) methods.set(n, s);
    else if (first?.kind === 'id' && first.v === 'disable_ddl_transaction!') wrapped = false;
    // Anything else at class level that is not a declaration is said, never silently skipped.
    else if (!(first?.kind === 'const' || (first?.kind === 'id' && CLASS_LEVEL.has(first.v))))
      notes.push(unreadable(s.line, codeOf(s)));
  }
  // Active Record runs `change` when the class defines it, else `up`; `down` never runs forward.
  const method = methods.get('change') ?? methods.get('up');
  if (method === undefined)
    return { sql: undefined, wrapped, notes: [`no change or up method found — ${REHEARSE}`] };
  withMigrationVersion(version, () => translateBody(method.block?.body ?? [], out, codeOf));
  return { sql: parts.length ? `${parts.join('\n\n')}\n` : '', wrapped, notes };
}

const RB = /^([0-9]+)_.*\.rb$/;

export function readRails(dir: string, m: PendingRef): StaticMigration {
  const rel = m.file ?? listDir(dir).find((f) => RB.exec(f)?.[1] === m.version);
  if (rel === undefined) return nothingRead(m.version, `no ${m.version}_*.rb in ${dir}`);
  const file = absolute(dir, rel);
  const r = readRailsSource(readFileSync(file, 'utf8'));
  return fromFiles(m.version, [file], r.sql, r.wrapped, r.notes);
}
