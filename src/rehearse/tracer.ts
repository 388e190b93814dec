// Turns the runner's events and its per-statement hook (StatementTracer) into a per-migration trace:
// statements with wall time and rows, locks with how long they were held, rewrites, constraints.
// Held time is measured from the start of the statement that took the lock to the end of the
// transaction (COMMIT/ROLLBACK) or, outside a transaction, to the end of the statement: an upper
// bound, never an underestimate.
import type pg from 'pg';
import type { MigrateEvent } from '../migrate/migrate.js';
import type { StatementTracer } from '../migrate/runner.js';
import type { PlannedStatement } from '../migrate/statements.js';
import { type CatalogState, isBlocking, LockSampler, lockRank, parseState, STATE_SQL } from './trace.js';

export interface ConstraintChange {
  name: string;
  table: string;
  action: 'added' | 'validated';
  validated: boolean;
}

export interface StatementTrace {
  line: number;
  sql: string;
  ms: number;
  rows: number | null;
  command: string | null;
  locks: { relation: string; mode: string }[];
  rewrites: string[];
  constraints: ConstraintChange[];
  error?: string;
  /** Framework projects: what the environment's policy would have refused (the rehearsal ran it anyway). */
  refusedInProduction?: string;
}

export interface LockHold {
  relation: string;
  mode: string;
  line: number;
  heldMs: number;
  blocking: boolean;
}

export interface MigrationTrace {
  version: string;
  name: string;
  transaction: boolean;
  status: 'applied' | 'failed' | 'not run';
  durationMs: number;
  error?: { line: number; message: string };
  statements: StatementTrace[];
  locks: LockHold[];
  worstLock: LockHold | null;
  rewrites: string[];
  constraints: ConstraintChange[];
  rowsAffected: number;
}

interface Held {
  oid: number;
  mode: string;
  line: number;
  start: number;
  end: number;
  inTx: boolean;
}

interface Current {
  trace: MigrationTrace;
  before: CatalogState | undefined;
  prev: CatalogState | undefined;
  held: Map<string, Held>;
  txEnd: number | undefined;
}

const relLabel = (s: CatalogState, oid: number) => {
  const r = s.rels.get(oid);
  return r ? `${r[1]}.${r[2]}` : String(oid);
};

export class Tracer implements StatementTracer {
  readonly migrations: MigrationTrace[] = [];
  private cur: Current | undefined;
  constructor(private readonly sampler: pg.Client) {}

  onEvent = (e: MigrateEvent): void => {
    if (e.type === 'plan') {
      for (const p of e.pending)
        this.migrations.push({
          version: p.version,
          name: p.name,
          transaction: p.transaction,
          status: 'not run',
          durationMs: 0,
          statements: [],
          locks: [],
          worstLock: null,
          rewrites: [],
          constraints: [],
          rowsAffected: 0,
        });
    } else if (e.type === 'start') {
      const trace = this.migrations.find((m) => m.version === e.version);
      if (trace) this.cur = { trace, before: undefined, prev: undefined, held: new Map(), txEnd: undefined };
    } else if (e.type === 'applied' || e.type === 'failed') {
      const c = this.cur;
      if (!c) return;
      if (e.type === 'applied') {
        c.trace.status = 'applied';
        c.trace.durationMs = e.durationMs;
      } else {
        c.trace.status = 'failed';
        c.trace.error = { line: e.failure.line, message: e.failure.message };
        c.trace.durationMs = Math.round(c.trace.statements.reduce((n, s) => n + s.ms, 0));
      }
      this.finish(c);
      this.cur = undefined;
    }
  };

  transactionEnd = (): void => {
    if (this.cur) this.cur.txEnd = performance.now();
  };

  async around(
    p: PlannedStatement,
    run: () => Promise<unknown>,
    client: pg.Client,
    pid: number,
  ): Promise<unknown> {
    const c = this.cur;
    if (!c) return run();
    const exec = (sql: string) => client.query(sql);
    const inTx = c.trace.transaction;
    if (!c.prev) {
      c.prev = parseState((await exec(STATE_SQL)).rows[0]);
      c.before = c.prev;
    }
    const sampler = new LockSampler(this.sampler, pid);
    sampler.start();
    const start = performance.now();
    const stmt: StatementTrace = {
      line: p.line,
      sql: p.sql.length > 300 ? `${p.sql.slice(0, 300)}…` : p.sql,
      ms: 0,
      rows: null,
      command: null,
      locks: [],
      rewrites: [],
      constraints: [],
    };
    c.trace.statements.push(stmt);
    let result: unknown;
    try {
      result = await run();
    } catch (err) {
      stmt.ms = Math.round(performance.now() - start);
      stmt.error = (err as Error).message;
      await sampler.stop();
      this.recordLocks(c, stmt, [...sampler.seen.values()], start, performance.now(), inTx);
      throw err;
    }
    const end = performance.now();
    stmt.ms = Math.round(end - start);
    await sampler.stop();
    const last = (Array.isArray(result) ? result[result.length - 1] : result) as pg.QueryResult | undefined;
    stmt.rows = typeof last?.rowCount === 'number' ? last.rowCount : null;
    stmt.command = last?.command ?? null;
    let after: CatalogState | undefined;
    try {
      after = parseState((await exec(STATE_SQL)).rows[0]);
    } catch {
      // never fail the migration because an observation failed
    }
    this.recordLocks(c, stmt, [...sampler.seen.values(), ...(after?.locks ?? [])], start, end, inTx);
    if (after) {
      this.diff(c, stmt, c.prev, after);
      c.prev = after;
    }
    return result;
  }

  private recordLocks(
    c: Current,
    stmt: StatementTrace,
    locks: { oid: number; mode: string }[],
    start: number,
    end: number,
    inTx: boolean,
  ): void {
    const before = c.before;
    if (!before) return;
    for (const l of locks) {
      // Objects created by this migration are invisible to everyone else: their locks block nobody.
      if (!before.rels.has(l.oid)) continue;
      const key = `${l.oid}:${l.mode}`;
      const h = c.held.get(key);
      if (h) {
        if (!inTx) h.end = Math.max(h.end, end);
        continue;
      }
      c.held.set(key, { oid: l.oid, mode: l.mode, line: stmt.line, start, end, inTx });
      stmt.locks.push({ relation: relLabel(before, l.oid), mode: l.mode });
    }
  }

  private diff(c: Current, stmt: StatementTrace, prev: CatalogState, after: CatalogState): void {
    for (const [oid, [node, schema, name, kind]] of after.rels) {
      const old = prev.rels.get(oid);
      if (!old || node === 0 || old[0] === node || !c.before?.rels.has(oid)) continue;
      stmt.rewrites.push(`${schema}.${name}${kind === 'i' ? ' (index)' : ''}`);
    }
    for (const [oid, [name, _type, valid, table]] of after.cons) {
      const old = prev.cons.get(oid);
      if (!old) stmt.constraints.push({ name, table, action: 'added', validated: valid });
      else if (!old[2] && valid) stmt.constraints.push({ name, table, action: 'validated', validated: true });
    }
  }

  private finish(c: Current): void {
    const t = c.trace;
    const txEnd = c.txEnd ?? performance.now();
    const before = c.before;
    const isIndex = (oid: number) => before?.rels.get(oid)?.[3] === 'i';
    // A statement's locks on a table and on its indexes share one start and end: on such a tie the
    // table is the worst lock (it is what the application waits on), then the name, never map order.
    t.locks = rankLocks(
      [...c.held.values()].map((h) => ({
        lock: {
          relation: before ? relLabel(before, h.oid) : String(h.oid),
          mode: h.mode,
          line: h.line,
          heldMs: Math.round((h.inTx ? txEnd : h.end) - h.start),
          blocking: isBlocking(h.mode),
        },
        index: isIndex(h.oid),
      })),
    );
    t.worstLock = t.locks[0] ?? null;
    t.rewrites = [...new Set(t.statements.flatMap((s) => s.rewrites))];
    t.constraints = t.statements.flatMap((s) => s.constraints);
    t.rowsAffected = t.statements.reduce(
      (n, s) => n + (s.command && /^(INSERT|UPDATE|DELETE|MERGE|COPY)$/.test(s.command) ? (s.rows ?? 0) : 0),
      0,
    );
  }
}

/**
 * Locks worst first: blocking before not, then held longest, then the stronger mode; on a tie between a
 * table and its indexes the table (what the application waits on), then the name, never map order.
 */
export function rankLocks(locks: { lock: LockHold; index: boolean }[]): LockHold[] {
  return [...locks]
    .sort(
      (a, b) =>
        Number(b.lock.blocking) - Number(a.lock.blocking) ||
        b.lock.heldMs - a.lock.heldMs ||
        lockRank(b.lock.mode) - lockRank(a.lock.mode) ||
        Number(a.index) - Number(b.index) ||
        a.lock.relation.localeCompare(b.lock.relation),
    )
    .map((x) => x.lock);
}
