// Helpers shared by rule files (not a rule itself).
import { alterCmds, as, columnConstraints, type Obj, relName, str } from '../ast.js';
import type { Stmt } from '../types.js';

export interface AlterCmd {
  table: string;
  cmd: Obj;
  subtype: string;
}

/** Every ALTER TABLE command of a statement, with its table. */
export function cmdsOf(s: Stmt): AlterCmd[] {
  if (s.kind !== 'AlterTableStmt') return [];
  const table = relName(s.body.relation);
  return alterCmds(s.body).map((cmd) => ({ table, cmd, subtype: str(cmd.subtype) ?? '' }));
}

/** ALTER TABLE ... ADD COLUMN commands with their ColumnDef. */
export function addedColumns(s: Stmt): { table: string; col: Obj; name: string }[] {
  return cmdsOf(s)
    .filter((c) => c.subtype === 'AT_AddColumn')
    .map((c) => {
      const col = as(c.cmd.def, 'ColumnDef') ?? {};
      return { table: c.table, col, name: str(col.colname) ?? '?' };
    });
}

/** Table constraints added by ALTER TABLE ... ADD CONSTRAINT. */
export function addedConstraints(s: Stmt): { table: string; con: Obj }[] {
  return cmdsOf(s)
    .filter((c) => c.subtype === 'AT_AddConstraint')
    .map((c) => ({ table: c.table, con: as(c.cmd.def, 'Constraint') ?? {} }))
    .filter((x) => x.con.contype !== undefined);
}

/** Every column definition a statement declares: CREATE TABLE elements and ALTER TABLE ADD COLUMN. */
export function declaredColumns(s: Stmt): { table: string; col: Obj; name: string; existing: boolean }[] {
  if (s.kind === 'CreateStmt') {
    const table = relName(s.body.relation);
    return ((s.body.tableElts as unknown[]) ?? [])
      .map((e) => as(e, 'ColumnDef'))
      .filter((c): c is Obj => c !== undefined)
      .map((col) => ({ table, col, name: str(col.colname) ?? '?', existing: false }));
  }
  return addedColumns(s).map((c) => ({ ...c, existing: true }));
}

export function hasConstraint(col: Obj, contype: string): boolean {
  return columnConstraints(col).some((c) => c.contype === contype);
}

export function defaultExpr(col: Obj): unknown {
  return columnConstraints(col).find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr;
}
