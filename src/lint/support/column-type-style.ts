// Shared by the column-type style rules: one finding per declared column whose type matches.
import { type TypeRef, typeRef } from '../ast.js';
import type { Hit, Stmt } from '../types.js';
import { declaredColumns } from './helpers.js';

const typed = new WeakMap<Stmt, { table: string; name: string; t: TypeRef }[]>();

function typedColumns(s: Stmt) {
  let v = typed.get(s);
  if (!v) {
    v = [];
    for (const c of declaredColumns(s)) {
      const t = typeRef(c.col.typeName);
      if (t) v.push({ table: c.table, name: c.name, t });
    }
    typed.set(s, v);
  }
  return v;
}

export function columnsOfType(
  s: Stmt,
  match: (t: TypeRef) => boolean,
  message: (table: string, col: string, t: TypeRef) => string,
): Hit[] {
  const hits: Hit[] = [];
  // Six rules ask about the same columns: their types are resolved once per statement.
  for (const { table, name, t } of typedColumns(s))
    if (match(t)) hits.push({ lock: 'ACCESS EXCLUSIVE', relation: table, message: message(table, name, t) });
  // ALTER COLUMN TYPE to a discouraged type counts too.
  return hits;
}
