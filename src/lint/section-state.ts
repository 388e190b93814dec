// What the analyser knows between statements of one section: the transaction it is in, the tables the
// section created, the columns it added, the tables it emptied, the locks it holds, the timeouts it set, its
// NOT NULL checks and ALTER TABLE counts.
// Rules read it through their RuleContext; advanceState updates it after each statement.
import { as, list, relName, str, tableKey } from './ast.js';
import { statementLock } from './locks.js';
import { cmdsOf } from './support/helpers.js';
import type { Emptied, LiveSchema, Stmt } from './types.js';

export interface SectionState {
  /** Tables created earlier in the section (lower-case keys). */
  created: Set<string>;
  /** `table.column` added by ALTER TABLE ... ADD COLUMN earlier in the section (lower-case keys). */
  addedColumns: Set<string>;
  /** Tables emptied earlier in the section (TRUNCATE, DELETE without WHERE) and not written to since. */
  emptied: Map<string, Emptied>;
  /** Tables this transaction holds ACCESS EXCLUSIVE on. */
  exclusiveHeld: Set<string>;
  /** table.constraint added NOT VALID inside the current transaction. */
  notValidInTx: Set<string>;
  /** table.constraint → column of CHECK (col IS NOT NULL) constraints. */
  notNullChecks: Map<string, string>;
  /** table.column proven NOT NULL by a validated check in this file. */
  notNullCheckedInFile: Set<string>;
  /** ALTER TABLE statements so far, per table. */
  alters: Map<string, number>;
  explicitTx: boolean;
  lockTimeoutSet: boolean;
  statementTimeoutSet: boolean;
}

export function newSectionState(): SectionState {
  return {
    created: new Set(),
    addedColumns: new Set(),
    emptied: new Map(),
    exclusiveHeld: new Set(),
    notValidInTx: new Set(),
    notNullChecks: new Map(),
    notNullCheckedInFile: new Set(),
    alters: new Map(),
    explicitTx: false,
    lockTimeoutSet: false,
    statementTimeoutSet: false,
  };
}

const OPEN_TX = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const CLOSE_TX = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);
const NOT_NULL_EXPR = /^\(?\s*"?([A-Za-z_][\w$]*)"?\s+IS\s+NOT\s+NULL\s*\)?$/i;

/** The state after statement `s` ran (`inTransaction`: it ran inside a transaction). */
export function advanceState(
  state: SectionState,
  s: Stmt,
  inTransaction: boolean,
  isNew: (t: string) => boolean,
  live: LiveSchema | undefined,
): void {
  trackTransaction(state, s);
  trackCreatedTables(state, s, live);
  trackRows(state, s);
  trackTimeouts(state, s);
  const lock = statementLock(s);
  if (inTransaction && lock?.mode === 'ACCESS EXCLUSIVE' && s.kind !== 'DropStmt' && !isNew(lock.relation))
    state.exclusiveHeld.add(tableKey(lock.relation));
  if (s.kind === 'AlterTableStmt') trackAlterTable(state, s, inTransaction);
}

function trackTransaction(state: SectionState, s: Stmt): void {
  if (s.kind !== 'TransactionStmt' || s.inDo) return;
  const k = String(s.body.kind);
  if (OPEN_TX.has(k)) state.explicitTx = true;
  if (CLOSE_TX.has(k)) {
    state.explicitTx = false;
    state.exclusiveHeld.clear();
    state.notValidInTx.clear();
  }
}

function trackCreatedTables(state: SectionState, s: Stmt, live: LiveSchema | undefined): void {
  if (s.kind === 'CreateStmt' || s.kind === 'CreateTableAsStmt') {
    const rel = s.kind === 'CreateStmt' ? s.body.relation : as(s.body.into, 'IntoClause')?.rel;
    const name = relName(rel);
    // CREATE TABLE IF NOT EXISTS of a table that exists creates nothing.
    if (!(s.body.if_not_exists === true && live?.table(name))) state.created.add(tableKey(name));
  }
  if (s.kind === 'RenameStmt' && s.body.relation) trackRename(state, s);
}

/** A renamed table keeps what the section knows about it; a renamed added column stays an added column. */
function trackRename(state: SectionState, s: Stmt): void {
  const from = tableKey(relName(s.body.relation));
  const to = lower(s.body.newname);
  if (s.body.renameType === 'OBJECT_TABLE') {
    if (state.created.has(from)) state.created.add(to);
    const emptied = state.emptied.get(from);
    if (emptied) state.emptied.set(to, emptied);
    for (const key of [...state.addedColumns])
      if (key.startsWith(`${from}.`)) state.addedColumns.add(`${to}${key.slice(from.length)}`);
  }
  if (s.body.renameType === 'OBJECT_COLUMN' && state.addedColumns.has(`${from}.${lower(s.body.subname)}`))
    state.addedColumns.add(`${from}.${to}`);
}

function lower(v: unknown): string {
  return (str(v) ?? '').toLowerCase();
}

/**
 * Tables whose rows the section removed: TRUNCATE leaves no pages at all, DELETE without WHERE leaves dead
 * rows (a later scan still reads them). Writing rows into the table again (INSERT, COPY FROM, MERGE) ends it.
 * A DO block's statements may sit in a branch that does not run: they never empty a table.
 */
function trackRows(state: SectionState, s: Stmt): void {
  if (s.kind === 'TruncateStmt' && !s.inDo)
    for (const r of list(s.body.relations)) state.emptied.set(tableKey(relName(r)), 'truncate');
  if (s.kind === 'DeleteStmt' && s.body.whereClause === undefined && !s.inDo) {
    const key = tableKey(relName(s.body.relation));
    if (state.emptied.get(key) !== 'truncate') state.emptied.set(key, 'delete');
  }
  const writes =
    s.kind === 'InsertStmt' || s.kind === 'MergeStmt' || (s.kind === 'CopyStmt' && s.body.is_from === true);
  if (writes && s.body.relation) state.emptied.delete(tableKey(relName(s.body.relation)));
}

function trackTimeouts(state: SectionState, s: Stmt): void {
  if (s.kind !== 'VariableSetStmt') return;
  const name = str(s.body.name);
  if (name === 'lock_timeout') state.lockTimeoutSet = s.body.kind === 'VAR_SET_VALUE';
  if (name === 'statement_timeout') state.statementTimeoutSet = s.body.kind === 'VAR_SET_VALUE';
}

/** ALTER TABLE counts, NOT VALID constraints in the transaction, and NOT NULL checks added or validated. */
function trackAlterTable(state: SectionState, s: Stmt, inTransaction: boolean): void {
  const table = tableKey(relName(s.body.relation));
  state.alters.set(table, (state.alters.get(table) ?? 0) + 1);
  // The subcommands the dispatcher and the rules already listed (memoised per statement).
  for (const { cmd, subtype } of cmdsOf(s)) {
    // Only a column this file surely adds: not ADD COLUMN IF NOT EXISTS, not one inside a DO block's IF.
    if (subtype === 'AT_AddColumn' && cmd.missing_ok !== true && !s.inDo)
      state.addedColumns.add(`${table}.${lower(as(cmd.def, 'ColumnDef')?.colname)}`);
    const con = as(cmd.def, 'Constraint');
    const conName = (str(con?.conname) ?? str(cmd.name) ?? '').toLowerCase();
    if (subtype === 'AT_AddConstraint' && con) {
      if (con.skip_validation === true && inTransaction) state.notValidInTx.add(`${table}.${conName}`);
      if (con.contype === 'CONSTR_CHECK') {
        const col = notNullColumn(con.raw_expr);
        if (col) {
          state.notNullChecks.set(`${table}.${conName}`, col);
          if (con.skip_validation !== true) state.notNullCheckedInFile.add(`${table}.${col}`);
        }
      }
    }
    if (subtype === 'AT_ValidateConstraint') {
      const col = state.notNullChecks.get(`${table}.${conName}`);
      if (col) state.notNullCheckedInFile.add(`${table}.${col}`);
    }
  }
}

function notNullColumn(expr: unknown): string | undefined {
  const nt = as(expr, 'NullTest');
  if (nt?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = list(as(nt.arg, 'ColumnRef')?.fields);
  const last = str(as(fields[fields.length - 1], 'String')?.sval);
  return last ? (NOT_NULL_EXPR.test(`${last} IS NOT NULL`) ? last.toLowerCase() : undefined) : undefined;
}
