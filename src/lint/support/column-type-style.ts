// Shared by the column-type style rules: one finding per declared column whose type matches.
import { type TypeRef, typeRef } from '../ast.js';
import type { Hit, Stmt } from '../types.js';
import { declaredColumns } from './helpers.js';

export function columnsOfType(
  s: Stmt,
  match: (t: TypeRef) => boolean,
  message: (table: string, col: string, t: TypeRef) => string,
): Hit[] {
  const hits: Hit[] = [];
  for (const c of declaredColumns(s)) {
    const t = typeRef(c.col.typeName);
    if (t && match(t))
      hits.push({ lock: 'ACCESS EXCLUSIVE', relation: c.table, message: message(c.table, c.name, t) });
  }
  // ALTER COLUMN TYPE to a discouraged type counts too.
  return hits;
}
