// Helpers shared by rule files (not a rule itself).
import { alterCmds, as, columnConstraints, type Obj, relName, str, typeRef } from '../ast.js';
import type { Stmt } from '../types.js';

export interface AlterCmd {
  table: string;
  cmd: Obj;
  subtype: string;
}

// Many rules ask the same questions of one statement: answers are computed once per statement.
function memo<T>(fn: (s: Stmt) => T): (s: Stmt) => T {
  const cache = new WeakMap<Stmt, T>();
  return (s) => {
    let v = cache.get(s);
    if (v === undefined) {
      v = fn(s);
      cache.set(s, v);
    }
    return v;
  };
}

const NONE: never[] = [];

/** Every ALTER TABLE command of a statement, with its table. */
export const cmdsOf = memo((s: Stmt): AlterCmd[] => {
  if (s.kind !== 'AlterTableStmt') return NONE;
  const table = relName(s.body.relation);
  return alterCmds(s.body).map((cmd) => ({ table, cmd, subtype: str(cmd.subtype) ?? '' }));
});

/** ALTER TABLE ... ADD COLUMN commands with their ColumnDef. */
export const addedColumns = memo((s: Stmt): { table: string; col: Obj; name: string }[] =>
  cmdsOf(s)
    .filter((c) => c.subtype === 'AT_AddColumn')
    .map((c) => {
      const col = as(c.cmd.def, 'ColumnDef') ?? {};
      return { table: c.table, col, name: str(col.colname) ?? '?' };
    }),
);

/** Table constraints added by ALTER TABLE ... ADD CONSTRAINT. */
export const addedConstraints = memo((s: Stmt): { table: string; con: Obj }[] =>
  cmdsOf(s)
    .filter((c) => c.subtype === 'AT_AddConstraint')
    .map((c) => ({ table: c.table, con: as(c.cmd.def, 'Constraint') ?? {} }))
    .filter((x) => x.con.contype !== undefined),
);

/** Every column definition a statement declares: CREATE TABLE elements and ALTER TABLE ADD COLUMN. */
export const declaredColumns = memo(
  (s: Stmt): { table: string; col: Obj; name: string; existing: boolean }[] => {
    if (s.kind === 'CreateStmt') {
      const table = relName(s.body.relation);
      return ((s.body.tableElts as unknown[]) ?? [])
        .map((e) => as(e, 'ColumnDef'))
        .filter((c): c is Obj => c !== undefined)
        .map((col) => ({ table, col, name: str(col.colname) ?? '?', existing: false }));
    }
    return addedColumns(s).map((c) => ({ ...c, existing: true }));
  },
);

export function hasConstraint(col: Obj, contype: string): boolean {
  return columnConstraints(col).some((c) => c.contype === contype);
}

export function defaultExpr(col: Obj): unknown {
  return columnConstraints(col).find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr;
}

/** A serial / bigserial / smallserial column: its values come from a sequence (an implicit DEFAULT nextval). */
export function isSerial(col: Obj): boolean {
  return /^(small|big)?serial[248]?$/.test(typeRef(col.typeName)?.name ?? '');
}

/** The column's DEFAULT gives existing rows a value: there is one, and it is not DEFAULT NULL. */
export function hasNonNullDefault(col: Obj): boolean {
  const d = defaultExpr(col);
  return d !== undefined && as(d, 'A_Const')?.isnull !== true;
}
