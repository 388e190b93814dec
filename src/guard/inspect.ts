// The live check of each statement a framework sends: parsed by PostgreSQL's own parser, linted in its
// real context (inside a transaction or not, after the statements this transaction already ran), sized
// against the live catalog, and decided by the environment's policy and the approvals of the run.
import type pg from 'pg';
import type { Policy } from '../config/target.js';
import { loadSchemaFacts } from '../db/schema-facts.js';
import { analyzeSection, prepareSection } from '../lint/analyze.js';
import { decideGate } from '../lint/gate.js';
import { liveSchema, schemaNeeds } from '../lint/schema.js';
import type { Finding, SchemaFacts, SchemaNeeds } from '../lint/types.js';
import { fromServerVersionNum } from '../lint/version.js';
import { ensureParser } from '../sql/parser.js';
import type { Inspector, StatementContext, Verdict } from './types.js';

export interface ApprovalState {
  approved: boolean;
  /** The exact command that would approve what is running now. */
  hint: string;
}

export interface PolicyInspectorOptions {
  policy: Pick<Policy, 'destructive' | 'blocking' | 'pauseSeconds'>;
  /** Environment name, for the refusal text. */
  env: string | undefined;
  /** pgward's own connection to the same database, to size tables; undefined = judge offline. */
  control: pg.Client | undefined;
  serverVersionNum: number;
  /** Whether what runs now (the migration, or the one-off statement) is approved, and how to approve it. */
  approval(sql: string): ApprovalState;
  /** Tables whose statements are never judged (the framework's own bookkeeping), bare lower-case names. */
  exempt?: ReadonlySet<string>;
  /** Findings the guard refused or let through with a warning, for the report. */
  onFinding?(f: Finding, decision: 'blocked' | 'warn'): void;
}

// Statements that can neither lose data nor take a lock worth judging: relayed without parsing, which
// keeps the guard's cost on bulk traffic (inserts, reads, transaction control) near zero.
const TRIVIAL =
  /^\s*(?:select|begin|start\s+transaction|commit|end|rollback|savepoint|release|show|set|reset|values|fetch|close|deallocate|discard|listen|unlisten|notify|insert|explain)\b[^;]*;?\s*$/i;

/**
 * One UPDATE/DELETE of a single table, or a plain `TRUNCATE [TABLE] name` (no list, no CASCADE): the
 * table it writes. Used to relay a framework's bookkeeping (`UPDATE alembic_version …`) unparsed.
 */
const SINGLE_TABLE_WRITE =
  /^\s*(?:update|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?(?:"?[\w$]+"?\.)?"?([\w$]+)"?(?:\s+[^;]*)?;?\s*$/i;
const TRUNCATE_PLAIN = /^\s*truncate(?:\s+table)?\s+(?:"?[\w$]+"?\.)?"?[\w$]+"?\s*;?\s*$/i;

function writesOnlyExempt(sql: string, exempt: ReadonlySet<string> | undefined): boolean {
  if (!exempt) return false;
  const m = SINGLE_TABLE_WRITE.exec(sql);
  if (!m || !exempt.has(m[1]!.toLowerCase())) return false;
  return !/^\s*truncate/i.test(sql) || TRUNCATE_PLAIN.test(sql);
}

/** Statements of this transaction kept as context, per session (bounded: the oldest are dropped). */
const CONTEXT_LIMIT = 50;

/**
 * The guard's judge: each statement linted in its session's transaction context and decided by `policy`.
 *
 * @example
 * ```ts
 * import { defaultPolicy, policyInspector } from 'pgward';
 * const inspector = policyInspector({
 *   policy: defaultPolicy(true), env: 'production', control: undefined, serverVersionNum: 160000,
 *   approval: () => ({ approved: false, hint: 'pgward migrate --env production --approve <version>' }),
 * });
 * const v = await inspector.inspect('DROP TABLE users', { session: 1, inTransaction: false, protocol: 'simple' });
 * console.log(v.action); // 'reject'
 * ```
 */
export function policyInspector(given: PolicyInspectorOptions): Inspector {
  const contexts = new Map<number, string[]>();
  const version = fromServerVersionNum(given.serverVersionNum);
  const opts = { ...given, facts: factsReader(given.control) };
  return {
    forwardsAsIs(sql: string, ctx: StatementContext): boolean {
      // The framework's bookkeeping is never refused (see `exempt`): nor is it parsed, or kept as context
      // (Alembic's `UPDATE alembic_version` was a third of the context of its one long transaction).
      if (!TRIVIAL.test(sql) && !writesOnlyExempt(sql, opts.exempt)) return false;
      if (!ctx.inTransaction) contexts.delete(ctx.session);
      return true;
    },
    async inspect(sql: string, ctx: StatementContext): Promise<Verdict> {
      if (!ctx.inTransaction) contexts.set(ctx.session, []);
      if (TRIVIAL.test(sql) || writesOnlyExempt(sql, opts.exempt))
        return { action: 'forward', statements: [sql], warnings: [] };
      await ensureParser();
      const before = contexts.get(ctx.session) ?? [];
      const judged = await judge(sql, before, ctx, version, opts);
      if (judged.verdict.action === 'forward') {
        before.push(...judged.verdict.statements);
        contexts.set(ctx.session, before.slice(-CONTEXT_LIMIT));
      }
      return judged.verdict;
    },
  };
}

async function judge(
  sql: string,
  before: string[],
  ctx: StatementContext,
  version: { major: number; num: number | undefined },
  opts: PolicyInspectorOptions & { facts: FactsReader },
): Promise<{ verdict: Verdict }> {
  const prefix = before.length ? `${before.join(';\n')};\n` : '';
  const firstLine = prefix.split('\n').length;
  const section = prepareSection({
    text: prefix + sql,
    startLine: 1,
    wrapped: ctx.inTransaction,
    pgwardRunner: true,
  });
  const own = section.stmts.filter((s) => s.line >= firstLine && !s.inDo);
  const statements = own.length ? own.map((s) => s.sql) : [sql];
  // Several statements in one simple Query run as one implicit transaction.
  if (!ctx.inTransaction && ctx.protocol === 'simple' && statements.length > 1) section.wrapped = true;
  const analyze = (live?: ReturnType<typeof liveSchema>) =>
    analyzeSection(section, { pgVersion: version.major, pgVersionNum: version.num, live }).findings.filter(
      (f) =>
        f.line >= firstLine &&
        (f.category === 'destructive' || f.category === 'blocking') &&
        !opts.exempt?.has(bareName(f.table ?? f.relation)),
    );
  let findings = analyze();
  if (findings.length) {
    // Sizes decide whether a blocking statement matters (an empty or new table holds no one up).
    // Only the names this message's own statements mention: the findings are theirs, and what the
    // context created or changed is known from the context itself (loading every table of a long
    // transaction's context again on each flagged statement was most of the guard's cost).
    const facts = await opts.facts(schemaNeeds(section.stmts.filter((s) => s.line >= firstLine)));
    if (facts) findings = analyze(liveSchema(facts));
  }
  if (findings.length === 0) return { verdict: { action: 'forward', statements, warnings: [] } };
  const approval = opts.approval(sql);
  const gate = decideGate(findings, opts.policy, { approved: approval.approved });
  if (gate.decision !== 'blocked') {
    for (const r of gate.reasons) opts.onFinding?.(r.finding, 'warn');
    const warnings = gate.reasons.map((r) => describe(r.finding));
    return { verdict: { action: 'forward', statements, warnings } };
  }
  const reason = gate.reasons.find((r) => r.mode === 'block') ?? gate.reasons[0]!;
  opts.onFinding?.(reason.finding, 'blocked');
  const env = opts.env ? `the ${opts.env} policy` : 'the policy';
  return {
    verdict: {
      action: 'reject',
      statements,
      rule: reason.finding.rule,
      message: `pgward: ${env} blocks this ${reason.kind} statement: ${describe(reason.finding)}`,
      hint: approval.hint,
    },
  };
}

type FactsReader = (needs: SchemaNeeds) => Promise<SchemaFacts | undefined>;

/**
 * Live facts read on the control connection, one read at a time (sessions are judged concurrently and
 * share it), each in a read-only transaction with a short lock wait. Sizing a table takes a lock that
 * the command's own open transaction may hold (after its ALTER TABLE): waiting would wait for the very
 * session whose statement is being judged, a wait the server cannot see as a deadlock. Past the wait,
 * the statement is judged without live facts, as offline: a blocking finding then counts.
 */
function factsReader(control: pg.Client | undefined): FactsReader {
  let chain: Promise<unknown> = Promise.resolve();
  return (needs) => {
    if (!control) return Promise.resolve(undefined);
    const read = chain.then(async () => {
      await control.query('BEGIN READ ONLY');
      try {
        await control.query(`SET LOCAL lock_timeout = ${FACTS_LOCK_WAIT}`);
        return await loadSchemaFacts(control, needs);
      } catch (err) {
        if ((err as { code?: string }).code === '55P03') return undefined;
        throw err;
      } finally {
        await control.query('ROLLBACK').catch(() => {});
      }
    });
    chain = read.catch(() => {});
    return read;
  };
}

/** How long reading live facts waits for a table lock (ms) before the statement is judged offline. */
const FACTS_LOCK_WAIT = 500;

function bareName(relation: string): string {
  return (relation.split('.').pop() ?? '').replace(/"/g, '').toLowerCase();
}

function describe(f: Finding): string {
  const on = f.relation ? ` (${f.relation})` : '';
  return `${f.rule}${on}: ${f.message}`;
}
