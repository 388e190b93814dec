// The rehearsal's view of a framework's run behind the guard. The guard calls the inspector just before
// it forwards each statement; by then the session's previous statement has completed and its
// transaction still holds what it locked. So, per session, before each statement is forwarded: read
// pg_locks for the upstream backend (the locks the previous statement took and still holds) and the
// committed relfilenodes; while a statement runs, a second connection samples its locks (what a
// no-transaction statement takes and releases). A rewrite inside a transaction is invisible to other
// connections until COMMIT, so relfilenodes are compared when the session's transaction has ended, and
// the rewrite is put on the transaction's first statement that locked the relation (or its table).
// Policy refusals never stop the rehearsal (it runs on a copy): what the environment's policy would
// refuse is recorded and the statement forwarded.
import type pg from 'pg';
import type { Inspector, StatementContext, StatementRecord, Verdict } from '../guard/types.js';
import { LockSampler } from './trace.js';

/** oid -> [relfilenode, schema, name, relkind, table oid of an index (else 0)] */
export type Rels = Map<number, [number, string, string, string, number]>;

export interface Step {
  session: number;
  /** Transaction group within the session: a statement sent outside a transaction starts a new one. */
  group: number;
  sql: string;
  inTx: boolean;
  /** Committed catalog when the statement was forwarded. */
  before: Rels;
  /** "oid:mode" -> lock, for locks it took: seen while it ran or right after it completed, not held before it. */
  locks: Map<string, { oid: number; mode: string }>;
  /** "oid:mode" of the locks the session held when it was forwarded (taken by earlier statements). */
  heldBefore: Set<string>;
  records: StatementRecord[];
  rewrites: string[];
  warnings: string[];
  refusal?: string | undefined;
  sampler?: LockSampler | undefined;
}

const OBSERVE_SQL = `SELECT pg_catalog.json_build_object(
  'locks', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_array(l.relation::int, l.mode)), '[]')
            FROM pg_catalog.pg_locks l WHERE l.pid = $1 AND l.locktype = 'relation' AND l.granted),
  'rels', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_array(c.oid::int, c.relfilenode::int,
                    n.nspname, c.relname, c.relkind, coalesce(i.indrelid::int, 0))), '[]')
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
           WHERE c.relkind IN ('r', 'i', 'm', 'p', 'I', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%')
) AS s`;

interface Observation {
  locks: { oid: number; mode: string }[];
  rels: Rels;
}

export const relLabel = (rels: Rels, oid: number): string => {
  const r = rels.get(oid);
  return r ? `${r[1]}.${r[2]}` : String(oid);
};

export class GuardTracer {
  readonly steps: Step[] = [];
  /** The committed catalog before the command ran. */
  initial: Rels = new Map();
  private readonly current = new Map<number, Step>();
  private readonly open = new Map<number, Step[]>();
  private readonly groups = new Map<number, number>();

  constructor(
    private readonly observer: pg.Client,
    private readonly sampler: pg.Client,
    private readonly policy: Inspector,
  ) {}

  async start(): Promise<void> {
    this.initial = (await this.observe(0)).rels;
  }

  /** The guard's inspector: observe, ask the environment's policy, record its refusal, forward. */
  readonly inspector: Inspector = { inspect: (sql, ctx) => this.inspect(sql, ctx) };

  /** The guard's onStatement: the record belongs to the session's step in flight. */
  record(rec: StatementRecord): void {
    this.current.get(rec.session)?.records.push(rec);
  }

  /** After the command: the last statements' samples, and the rewrites of transactions left to compare. */
  async finish(): Promise<void> {
    for (const s of this.current.values()) await this.close(s, []);
    this.current.clear();
    const { rels } = await this.observe(0);
    for (const session of this.open.keys()) this.resolve(session, rels);
  }

  private async inspect(sql: string, ctx: StatementContext): Promise<Verdict> {
    const pid = ctx.backendPid ?? 0;
    const obs = await this.observe(pid);
    const prev = this.current.get(ctx.session);
    if (prev) await this.close(prev, obs.locks);
    if (!ctx.inTransaction) {
      this.resolve(ctx.session, obs.rels);
      this.groups.set(ctx.session, (this.groups.get(ctx.session) ?? 0) + 1);
    }
    let verdict: Verdict;
    try {
      verdict = await this.policy.inspect(sql, ctx);
    } catch {
      // A statement the policy cannot judge still runs on the copy.
      verdict = { action: 'forward', statements: [sql], warnings: [] };
    }
    const step: Step = {
      session: ctx.session,
      group: this.groups.get(ctx.session) ?? 0,
      sql,
      inTx: ctx.inTransaction,
      before: obs.rels,
      locks: new Map(),
      heldBefore: new Set(obs.locks.map((l) => `${l.oid}:${l.mode}`)),
      records: [],
      rewrites: [],
      warnings: verdict.action === 'forward' ? verdict.warnings : [],
      refusal: verdict.action === 'reject' ? verdict.message : undefined,
    };
    this.steps.push(step);
    this.current.set(ctx.session, step);
    this.open.set(ctx.session, [...(this.open.get(ctx.session) ?? []), step]);
    if (pid) {
      step.sampler = new LockSampler(this.sampler, pid);
      step.sampler.start();
    }
    return { action: 'forward', statements: verdict.statements, warnings: step.warnings };
  }

  private async close(step: Step, after: { oid: number; mode: string }[]): Promise<void> {
    if (step.sampler) await step.sampler.stop();
    const seen = step.sampler ? [...step.sampler.seen.values()] : [];
    step.sampler = undefined;
    for (const l of [...seen, ...after]) {
      const key = `${l.oid}:${l.mode}`;
      if (!step.heldBefore.has(key)) step.locks.set(key, { oid: l.oid, mode: l.mode });
    }
  }

  /** The session's transaction has ended: what it rewrote is now visible in the committed catalog. */
  private resolve(session: number, now: Rels): void {
    const steps = this.open.get(session) ?? [];
    this.open.set(session, []);
    if (!steps.length) return;
    const before = steps[0]!.before;
    for (const [oid, [node, schema, name, kind, table]] of before) {
      const after = now.get(oid);
      if (!after || node === 0 || after[0] === node) continue;
      const owner = kind === 'i' ? table : oid;
      const holds = (s: Step, o: number, strong: boolean) =>
        [...s.locks.values()].some((l) => l.oid === o && (!strong || l.mode === 'AccessExclusiveLock'));
      const step =
        steps.find((s) => holds(s, oid, true) || holds(s, owner, true)) ??
        steps.find((s) => holds(s, oid, false) || holds(s, owner, false)) ??
        steps.find((s) => [...s.locks.values()].some((l) => l.mode === 'AccessExclusiveLock')) ??
        steps.at(-1)!;
      step.rewrites.push(`${schema}.${name}${kind === 'i' ? ' (index)' : ''}`);
    }
  }

  private async observe(pid: number): Promise<Observation> {
    try {
      const row = (await this.observer.query(OBSERVE_SQL, [pid])).rows[0] as {
        s: { locks: [number, string][]; rels: [number, number, string, string, string, number][] };
      };
      return {
        locks: row.s.locks.map(([oid, mode]) => ({ oid, mode })),
        rels: new Map(row.s.rels.map(([oid, ...rest]) => [oid, rest])),
      };
    } catch {
      // an observation that failed means fewer facts, never a failed rehearsal
      return { locks: [], rels: new Map() };
    }
  }
}
