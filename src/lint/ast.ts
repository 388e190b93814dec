// Small helpers over libpg-query's JSON parse tree. Nodes are `{ KindName: body }` objects; these
// helpers read them without trusting their shape (a rule must never crash on an odd statement).
import type { Node } from 'libpg-query';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function kindOf(node: unknown): string {
  return isObj(node) ? (Object.keys(node)[0] ?? '') : '';
}

/** The body of a node of the given kind, or undefined. */
export function as(node: unknown, kind: string): Obj | undefined {
  if (!isObj(node)) return undefined;
  const b = node[kind];
  return isObj(b) ? b : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** `String` nodes of a name list joined with dots: [{String:{sval:'public'}},{String:{sval:'t'}}] → public.t */
export function names(v: unknown): string {
  return list(v)
    .map((n) => str(as(n, 'String')?.sval) ?? '')
    .filter((s) => s !== '')
    .join('.');
}

/** A RangeVar as written: schema.name or name. */
export function relName(rangeVar: unknown): string {
  const r =
    isObj(rangeVar) && 'RangeVar' in rangeVar ? as(rangeVar, 'RangeVar') : (rangeVar as Obj | undefined);
  if (!isObj(r)) return '?';
  const name = str(r.relname) ?? '?';
  const schema = str(r.schemaname);
  return schema ? `${schema}.${name}` : name;
}

/** Key used to match tables across statements: the bare name (schemas are rarely mixed in one file). */
export function tableKey(name: string): string {
  // The part after the last dot; slicing instead of split() allocates no array (called per rule and statement).
  return name.slice(name.lastIndexOf('.') + 1).toLowerCase();
}

export interface TypeRef {
  /** Last part of the type name, lower-case: int4, varchar, serial, json, timestamptz... */
  name: string;
  typmods: number[];
  array: boolean;
}

export function typeRef(typeName: unknown): TypeRef | undefined {
  const t = as(typeName, 'TypeName') ?? (isObj(typeName) ? typeName : undefined);
  if (!t) return undefined;
  const parts = list(t.names).map((n) => str(as(n, 'String')?.sval) ?? '');
  const name = (parts[parts.length - 1] ?? '').toLowerCase();
  const typmods = list(t.typmods)
    .map((m) => as(as(m, 'A_Const')?.ival, 'Integer') ?? as(m, 'A_Const')?.ival)
    .map((iv) => (isObj(iv) && typeof iv.ival === 'number' ? iv.ival : undefined))
    .filter((x): x is number => x !== undefined);
  return { name, typmods, array: list(t.arrayBounds).length > 0 };
}

/**
 * Calls `fn` on every object in the tree (depth first) with the key it sits under: a node kind such as
 * "RangeVar", or a field name such as "relation" (whose value is an unwrapped RangeVar body).
 */
export function walk(node: unknown, fn: (kind: string, body: Obj) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, fn);
    return;
  }
  if (!isObj(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (isObj(v)) {
      fn(k, v);
      walk(v, fn);
    } else if (Array.isArray(v)) {
      walk(v, fn);
    }
  }
}

/** Names of every function called in an expression (lower-case, last name part). */
export function calledFunctions(expr: unknown): string[] {
  const out: string[] = [];
  walk(expr, (kind, body) => {
    if (kind === 'FuncCall') {
      const parts = names(body.funcname).split('.');
      out.push((parts[parts.length - 1] ?? '').toLowerCase());
    }
  });
  return out;
}

/** Column constraints of a ColumnDef, as Constraint bodies. */
export function columnConstraints(colDef: Obj): Obj[] {
  return list(colDef.constraints)
    .map((c) => as(c, 'Constraint'))
    .filter((c): c is Obj => c !== undefined);
}

export function stmtKind(node: Node): string {
  return kindOf(node);
}

/** Column names of a constraint's key list ([{String:{sval}}]). */
export function keyNames(v: unknown): string[] {
  return list(v).map((n) => (str(as(n, 'String')?.sval) ?? '').toLowerCase());
}

/** ALTER TABLE commands as AlterTableCmd bodies. */
export function alterCmds(body: Obj): Obj[] {
  return list(body.cmds)
    .map((c) => as(c, 'AlterTableCmd'))
    .filter((c): c is Obj => c !== undefined);
}

/** Columns of an IndexStmt (names, or "expr" for expressions), lower-case. */
export function indexColumns(body: Obj): string[] {
  return list(body.indexParams).map((p) => {
    const e = as(p, 'IndexElem');
    return (str(e?.name) ?? 'expr').toLowerCase();
  });
}

export function boolOpt(v: unknown): boolean {
  return v === true;
}
