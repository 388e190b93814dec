// The analyser: walks one SQL text (a migration section or a whole .sql file) statement by statement,
// keeping the context rules need (transaction, tables created so far, locks held, timeouts set), runs
// every rule that can fire on it (see rulesFor), then applies new/empty-table downgrades, live table sizes
// and ignore comments.
import { type SqlStatement, splitStatements } from '../sql/split.js';
import { as, indexColumns, keyNames, kindOf, list, type Obj, relName, str, tableKey } from './ast.js';
import { expandDo } from './plpgsql.js';
import { RULES, RULES_BY_ID } from './rules/index.js';
import { describeSize } from './schema.js';
import { advanceState, newSectionState, type SectionState } from './section-state.js';
import { cmdsOf } from './support/helpers.js';
import { type IgnoreComment, parseIgnores } from './suppress.js';
import type {
  Category,
  FileFacts,
  Finding,
  Hit,
  LiveSchema,
  LockMode,
  Rule,
  RuleContext,
  Stmt,
} from './types.js';

export interface SectionInput {
  text: string;
  /** File line on which `text` starts. */
  startLine: number;
  /** The runner wraps the text in a transaction (pgward's default for migrations). */
  wrapped: boolean;
  /** The text is a pgward migration (pgward sets lock_timeout / statement_timeout). */
  pgwardRunner: boolean;
}

export interface PreparedSection extends SectionInput {
  /** Top-level statements followed by the statements of their DO blocks; `top` maps each to its top-level index. */
  stmts: Stmt[];
  top: number[];
  topOffsets: number[];
  ignores: IgnoreComment[];
  parseError: Finding | undefined;
}

export interface SuppressedFinding extends Finding {
  reason: string | undefined;
}

export interface SectionResult {
  findings: Finding[];
  suppressed: SuppressedFinding[];
  statements: number;
}

export interface AnalyzeOptions {
  pgVersion: number;
  pgVersionNum: number | undefined;
  /** The live database's facts, if the lint was given them. */
  live: LiveSchema | undefined;
  /** Only run these rules (default: all). */
  rules?: readonly Rule[];
}

function toStmt(st: SqlStatement, startLine: number): Stmt {
  const kind = kindOf(st.node);
  return {
    sql: st.sql,
    node: st.node,
    kind,
    body: (st.node as unknown as Record<string, Obj>)[kind] ?? {},
    line: startLine + st.line - 1,
    column: st.column,
    inDo: false,
  };
}

export function prepareSection(input: SectionInput, cache = true): PreparedSection {
  const base = { ...input, stmts: [], top: [], topOffsets: [], ignores: parseIgnores(input.text) };
  const split = splitStatements(input.text, cache);
  if (!split.ok) {
    const off = split.error.offset ?? 0;
    const before = input.text.slice(0, off).split('\n');
    const line = input.startLine + before.length - 1;
    return {
      ...base,
      parseError: {
        rule: 'syntax-error',
        category: 'error',
        severity: 'error',
        line,
        column: (before[before.length - 1]?.length ?? 0) + 1,
        statement: (input.text.slice(off).split('\n')[0] ?? '').trim().slice(0, 200),
        lock: 'none',
        relation: '',
        message: `PostgreSQL cannot parse this: ${split.error.message}`,
        fix: RULES_BY_ID.get('syntax-error')?.fix ?? '',
      },
    };
  }
  const stmts: Stmt[] = [];
  const top: number[] = [];
  const topOffsets: number[] = [];
  split.statements.forEach((st, i) => {
    const s = toStmt(st, input.startLine);
    topOffsets.push(st.offset);
    if (s.kind === 'DoStmt') {
      const { inner, dynamic } = expandDo(s);
      if (dynamic.length) s.dynamic = dynamic;
      stmts.push(s);
      top.push(i);
      for (const x of inner) {
        stmts.push(x);
        top.push(i);
      }
    } else {
      stmts.push(s);
      top.push(i);
    }
  });
  return { ...base, stmts, top, topOffsets, parseError: undefined };
}

/** Leading columns of every index and key the file defines, so an FK index added later counts. */
function fileFacts(stmts: readonly Stmt[]): FileFacts {
  const indexLeads = new Map<string, string[][]>();
  const add = (t: string, cols: string[]) => {
    const k = tableKey(t);
    indexLeads.set(k, [...(indexLeads.get(k) ?? []), cols]);
  };
  for (const s of stmts) {
    if (s.kind === 'IndexStmt') add(relName(s.body.relation), indexColumns(s.body));
    const table =
      s.kind === 'CreateStmt' || s.kind === 'AlterTableStmt' ? relName(s.body.relation) : undefined;
    if (!table) continue;
    const cons: Obj[] = [];
    for (const e of list(s.body.tableElts)) {
      const c = as(e, 'Constraint');
      if (c) cons.push(c);
      const col = as(e, 'ColumnDef');
      for (const k of list(col?.constraints)) {
        const kc = as(k, 'Constraint');
        if (kc && (kc.contype === 'CONSTR_PRIMARY' || kc.contype === 'CONSTR_UNIQUE'))
          add(table, [(str(col?.colname) ?? '').toLowerCase()]);
      }
    }
    for (const { cmd } of cmdsOf(s)) {
      const c = as(cmd.def, 'Constraint');
      if (c) cons.push(c);
    }
    for (const c of cons)
      if (c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_UNIQUE') add(table, keyNames(c.keys));
  }
  return { indexLeads };
}

/** Categories that do not apply to a table nobody else can see yet. */
const NEW_TABLE_EXEMPT = new Set<Category>(['destructive', 'blocking', 'fails', 'breaking']);

export function analyzeSection(p: PreparedSection, opts: AnalyzeOptions): SectionResult {
  const findings: Finding[] = p.parseError ? [p.parseError] : [];
  const perStmt: Finding[][] = p.stmts.map(() => []);
  const state = newSectionState();
  const facts = fileFacts(p.stmts);
  const live = opts.live;
  const isNew = (t: string) =>
    state.created.has(tableKey(t)) || (live !== undefined && live.table(t) === undefined);
  const dispatched = dispatch(opts.rules ?? RULES);
  p.stmts.forEach((s, index) => {
    const inTransaction = p.wrapped || state.explicitTx || s.inDo;
    const ctx: RuleContext = {
      pgVersion: opts.pgVersion,
      pgVersionNum: opts.pgVersionNum,
      inTransaction,
      explicitTx: state.explicitTx,
      pgwardRunner: p.pgwardRunner,
      wrapped: p.wrapped,
      lockTimeoutSet: state.lockTimeoutSet,
      statementTimeoutSet: state.statementTimeoutSet,
      isNew,
      columnsAddedInFile: state.addedColumns,
      emptiedInFile: state.emptied,
      exclusiveHeld: state.exclusiveHeld,
      notNullCheckedInFile: state.notNullCheckedInFile,
      notValidInTx: state.notValidInTx,
      altersBefore: (t) => state.alters.get(tableKey(t)) ?? 0,
      statements: p.stmts,
      index,
      facts,
      live,
    };
    perStmt[index]!.push(...runRules(rulesFor(dispatched, s), s, ctx, state, live));
    advanceState(state, s, inTransaction, isNew, live);
  });
  applyIgnores(p, perStmt, findings);
  const suppressed = (perStmt as (Finding | SuppressedFinding)[][])
    .flat()
    .filter((f): f is SuppressedFinding => 'reason' in f);
  const kept = perStmt.flat().filter((f) => !('reason' in f));
  return {
    findings: [...findings, ...kept].sort((a, b) => a.line - b.line || a.column - b.column),
    suppressed,
    statements: p.stmts.length,
  };
}

/** The findings of every rule that fires on one statement. */
function runRules(
  rules: readonly Rule[],
  s: Stmt,
  ctx: RuleContext,
  state: SectionState,
  live: LiveSchema | undefined,
): Finding[] {
  const out: Finding[] = [];
  for (const rule of rules) {
    let hits: Hit[];
    try {
      hits = rule.check(s, ctx);
    } catch {
      continue; // a rule must never take the whole lint down on an unusual tree
    }
    for (const h of hits) {
      const f = finding(rule, s, h, state, live);
      if (f) out.push(f);
    }
  }
  return out;
}

interface Dispatch {
  /** Rules per statement kind; '*' = the rules for kinds no rule names. */
  byKind: Map<string, Rule[]>;
  /** AlterTableStmt rules per set of subcommand types (key: sorted distinct types), filled as sets are met. */
  bySubtypes: Map<string, Rule[]>;
}

const dispatchCache = new WeakMap<readonly Rule[], Dispatch>();

/** Rules per statement kind, computed once per rule list (the ALTER TABLE refinement is filled lazily). */
function dispatch(rules: readonly Rule[]): Dispatch {
  let d = dispatchCache.get(rules);
  if (d) return d;
  const byKind = new Map<string, Rule[]>();
  byKind.set(
    '*',
    rules.filter((r) => r.kinds === undefined),
  );
  for (const r of rules)
    for (const k of r.kinds ?? [])
      if (!byKind.has(k))
        byKind.set(
          k,
          rules.filter((x) => x.kinds === undefined || x.kinds.includes(k)),
        );
  d = { byKind, bySubtypes: new Map() };
  dispatchCache.set(rules, d);
  return d;
}

/**
 * The rules that can fire on a statement. An ALTER TABLE runs about 35 rules, most of which only look at
 * one subcommand type: only those whose types the statement has (or that declare none) are called. The
 * filter keeps registry order, so findings come out in the same order as when every rule ran.
 */
function rulesFor(d: Dispatch, s: Stmt): readonly Rule[] {
  const all = d.byKind.get(s.kind) ?? d.byKind.get('*')!;
  if (s.kind !== 'AlterTableStmt') return all;
  const cmds = cmdsOf(s);
  // One subcommand is the common case: its type is the key, no array to build.
  const key =
    cmds.length === 1 ? cmds[0]!.subtype : [...new Set(cmds.map((c) => c.subtype))].sort().join(' ');
  let rules = d.bySubtypes.get(key);
  if (!rules) {
    const present = new Set(key.split(' '));
    rules = all.filter((r) => r.subtypes === undefined || r.subtypes.some((t) => present.has(t)));
    d.bySubtypes.set(key, rules);
  }
  return rules;
}

/** The finding of one hit, after the downgrades for tables created, emptied, empty or absent. */
function finding(
  rule: Rule,
  s: Stmt,
  h: Hit,
  state: SectionState,
  live: LiveSchema | undefined,
): Finding | undefined {
  const category = h.category ?? rule.category;
  let severity = h.severity ?? rule.severity;
  let message = h.message ?? rule.message;
  const table = h.table;
  if (table !== undefined && NEW_TABLE_EXEMPT.has(category)) {
    // Nobody else can see a table created earlier in the same migration: no lock contention, no rows.
    if (state.created.has(tableKey(table))) return undefined;
    const emptied = state.emptied.get(tableKey(table));
    // A table the file emptied has no rows a statement could fail on; after TRUNCATE not even pages to scan.
    if (emptied && category === 'fails') return undefined;
    if (emptied === 'truncate' && category === 'blocking') {
      severity = 'info';
      message += ` (${table} was truncated earlier in this file: it is empty)`;
    } else if (live) {
      const info = live.table(table);
      if (!info) {
        if (category === 'blocking' || category === 'fails') {
          severity = 'info';
          message += ` (${table} does not exist in the database yet: treated as new)`;
        }
      } else if (info.empty && (category === 'blocking' || category === 'fails')) {
        severity = 'info';
        message += ` (${info.name} is empty: nothing to scan)`;
      } else {
        message += ` — ${describeSize(info)}`;
      }
    }
  }
  return {
    rule: rule.id,
    category,
    severity,
    line: s.line,
    column: s.column,
    statement: s.sql,
    lock: h.lock as LockMode,
    relation: h.relation,
    message,
    fix: h.fix ?? rule.fix,
    ...(table !== undefined ? { table } : {}),
  };
}

function applyIgnores(p: PreparedSection, perStmt: Finding[][], out: Finding[]): void {
  const mk = (id: string, ig: IgnoreComment, message: string): Finding => {
    const r = RULES_BY_ID.get(id)!;
    return {
      rule: id,
      category: r.category,
      severity: r.severity,
      line: p.startLine + ig.line - 1,
      column: ig.column,
      statement: `-- pgward:ignore ${ig.rules.join(', ')}`,
      lock: 'none',
      relation: '',
      message,
      fix: r.fix,
    };
  };
  for (const ig of p.ignores) {
    const topIndex = p.topOffsets.findIndex((o) => o > ig.offset);
    if (!ig.reason) out.push(mk('ignore-without-reason', ig, 'pgward:ignore without reason="..."'));
    for (const id of ig.rules) {
      if (!RULES_BY_ID.has(id)) {
        out.push(mk('unknown-ignore-rule', ig, `pgward:ignore names unknown rule "${id}"`));
        continue;
      }
      let used = false;
      p.stmts.forEach((_s, i) => {
        if (p.top[i] !== topIndex) return;
        perStmt[i] = perStmt[i]!.map((f) => {
          if (f.rule !== id || 'reason' in f) return f;
          used = true;
          return { ...f, reason: ig.reason } as SuppressedFinding;
        });
      });
      if (!used)
        out.push(mk('unused-ignore', ig, `pgward:ignore ${id} matches nothing on the next statement`));
    }
  }
}
