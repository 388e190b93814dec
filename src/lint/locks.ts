// The strongest table lock a statement takes and on what, following the PostgreSQL docs
// (explicit-locking.html and the Notes of each command). Used by the timeout rules and to know
// which tables are held under ACCESS EXCLUSIVE for the rest of a transaction.
import { alterCmds, as, list, relName, str } from './ast.js';
import type { LockMode, Stmt } from './types.js';

export interface TakenLock {
  mode: LockMode;
  relation: string;
}

/** LockStmt.mode is PostgreSQL's LOCKMODE number (1 = AccessShareLock ... 8 = AccessExclusiveLock). */
export const LOCK_BY_NUMBER: Record<number, LockMode> = {
  1: 'ACCESS SHARE',
  2: 'ROW SHARE',
  3: 'ROW EXCLUSIVE',
  4: 'SHARE UPDATE EXCLUSIVE',
  5: 'SHARE',
  6: 'SHARE ROW EXCLUSIVE',
  7: 'EXCLUSIVE',
  8: 'ACCESS EXCLUSIVE',
};

/** Modes that block plain reads or writes of other sessions (eugene's "dangerous" set). */
export const BLOCKS_WRITES: ReadonlySet<LockMode> = new Set([
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
]);

export function isConcurrent(s: Stmt): boolean {
  const b = s.body;
  if (b.concurrent === true) return true;
  if (s.kind === 'ReindexStmt')
    return list(b.params).some((p) => str(as(p, 'DefElem')?.defname) === 'concurrently');
  return false;
}

const lockCache = new WeakMap<Stmt, TakenLock | null>();

/** The lock of a statement (computed once per statement: several rules and the analyser ask). */
export function statementLock(s: Stmt): TakenLock | undefined {
  let v = lockCache.get(s);
  if (v === undefined) {
    v = computeLock(s) ?? null;
    lockCache.set(s, v);
  }
  return v ?? undefined;
}

function computeLock(s: Stmt): TakenLock | undefined {
  const b = s.body;
  switch (s.kind) {
    case 'AlterTableStmt':
      return { mode: alterTableLock(alterCmds(b)), relation: relName(b.relation) };
    case 'IndexStmt':
      return {
        mode: b.concurrent === true ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE',
        relation: relName(b.relation),
      };
    case 'DropStmt':
      return dropLock(b);
    case 'RenameStmt':
    case 'TruncateStmt':
    case 'ClusterStmt':
    case 'RefreshMatViewStmt':
      if (s.kind === 'RefreshMatViewStmt' && b.concurrent === true)
        return { mode: 'EXCLUSIVE', relation: relName(b.relation) };
      return {
        mode: 'ACCESS EXCLUSIVE',
        relation: relName(b.relation ?? as(list(b.relations)[0], 'RangeVar')),
      };
    case 'ReindexStmt':
      return { mode: isConcurrent(s) ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE', relation: relName(b.relation) };
    case 'VacuumStmt': {
      const full = list(b.options).some((o) => str(as(o, 'DefElem')?.defname) === 'full');
      const rel = as(list(b.rels)[0], 'VacuumRelation')?.relation;
      return {
        mode: full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE',
        relation: rel ? relName(rel) : 'every table',
      };
    }
    case 'LockStmt':
      return {
        mode: LOCK_BY_NUMBER[typeof b.mode === 'number' ? b.mode : 8] ?? 'ACCESS EXCLUSIVE',
        relation: relName(as(list(b.relations)[0], 'RangeVar')),
      };
    case 'CreateTrigStmt':
      return { mode: 'SHARE ROW EXCLUSIVE', relation: relName(b.relation) };
    case 'AlterDomainStmt':
      return {
        mode: 'SHARE',
        relation: `tables using domain ${list(b.typeName)
          .map((n) => str(as(n, 'String')?.sval))
          .join('.')}`,
      };
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'InsertStmt':
      return { mode: 'ROW EXCLUSIVE', relation: relName(b.relation) };
    default:
      return undefined;
  }
}

/**
 * Storage parameters PostgreSQL changes under SHARE UPDATE EXCLUSIVE (reloptions.c gives each its lock;
 * checked on 13–18 by the lint truth suite). The others (user_catalog_table, a view's security_barrier,
 * security_invoker and check_option, GIN's fastupdate, GiST's buffering) take ACCESS EXCLUSIVE.
 */
const WEAK_RELOPTIONS = new Set([
  'fillfactor',
  'toast_tuple_target',
  'parallel_workers',
  'vacuum_index_cleanup',
  'vacuum_truncate',
  'log_autovacuum_min_duration',
  'deduplicate_items',
  'gin_pending_list_limit',
  'pages_per_range',
  'autosummarize',
]);

/** SET (...) / RESET (...) on a table or index: weak when every parameter named is. */
function weakRelOptions(c: ReturnType<typeof alterCmds>[number]): boolean {
  if (c.subtype !== 'AT_SetRelOptions' && c.subtype !== 'AT_ResetRelOptions') return false;
  const opts = list(as(c.def, 'List')?.items ?? c.def).map((o) => as(o, 'DefElem'));
  return (
    opts.length > 0 &&
    opts.every((o) => {
      const name = str(o?.defname) ?? '';
      return name.startsWith('autovacuum_') || WEAK_RELOPTIONS.has(name);
    })
  );
}

/** ENABLE / DISABLE TRIGGER take SHARE ROW EXCLUSIVE, as CREATE TRIGGER does (lint truth suite, 13–18). */
const TRIGGER_TOGGLES = new Set([
  'AT_EnableTrig',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaTrig',
  'AT_DisableTrig',
  'AT_EnableTrigAll',
  'AT_DisableTrigAll',
  'AT_EnableTrigUser',
  'AT_DisableTrigUser',
]);

/**
 * VALIDATE CONSTRAINT, SET STATISTICS-like commands and most storage parameters take SHARE UPDATE
 * EXCLUSIVE; ADD FOREIGN KEY and ENABLE/DISABLE TRIGGER take SHARE ROW EXCLUSIVE; everything else ACCESS
 * EXCLUSIVE.
 */
function alterTableLock(cmds: ReturnType<typeof alterCmds>): LockMode {
  const weak = cmds.every(
    (c) =>
      [
        'AT_ValidateConstraint',
        'AT_SetStatistics',
        'AT_ClusterOn',
        'AT_DropCluster',
        'AT_SetOptions',
        'AT_ResetOptions',
      ].includes(str(c.subtype) ?? '') || weakRelOptions(c),
  );
  const fkOnly = cmds.every(
    (c) =>
      (c.subtype === 'AT_AddConstraint' && as(c.def, 'Constraint')?.contype === 'CONSTR_FOREIGN') ||
      TRIGGER_TOGGLES.has(str(c.subtype) ?? ''),
  );
  const detachConcurrently = cmds.some(
    (c) => c.subtype === 'AT_DetachPartition' && as(c.def, 'PartitionCmd')?.concurrent === true,
  );
  const attach = cmds.every((c) => c.subtype === 'AT_AttachPartition');
  if (weak || detachConcurrently || attach) return 'SHARE UPDATE EXCLUSIVE';
  return fkOnly ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE';
}

/** DROP takes ACCESS EXCLUSIVE on what it drops, except DROP INDEX CONCURRENTLY. */
function dropLock(b: Stmt['body']): TakenLock {
  const first = list(b.objects)[0];
  const name = as(first, 'List')
    ? list(as(first, 'List')?.items)
        .map((n) => str(as(n, 'String')?.sval))
        .join('.')
    : '?';
  if (b.removeType === 'OBJECT_INDEX' && b.concurrent === true)
    return { mode: 'SHARE UPDATE EXCLUSIVE', relation: name };
  return { mode: 'ACCESS EXCLUSIVE', relation: name };
}
