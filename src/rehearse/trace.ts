// What a statement did, observed the way eugene's tracer does it but on real data: the runner's own
// locks, relfilenodes and constraints read on its connection after each statement (inside its
// transaction, so uncommitted changes are visible), plus a second connection sampling pg_locks while
// the statement runs (no-transaction statements release their locks before anyone can look).
import type pg from 'pg';

export interface CatalogState {
  locks: { oid: number; mode: string; granted: boolean }[];
  /** oid -> [relfilenode, schema, name, relkind] */
  rels: Map<number, [number, string, string, string]>;
  /** oid -> [name, type, validated, table] */
  cons: Map<number, [string, string, boolean, string]>;
}

export const STATE_SQL = `SELECT pg_catalog.json_build_object(
  'locks', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_array(l.relation::int, l.mode, l.granted)), '[]')
            FROM pg_catalog.pg_locks l WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation'),
  'rels', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_array(c.oid::int, c.relfilenode::int, n.nspname, c.relname, c.relkind)), '[]')
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'i', 'm', 'p', 'I', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'),
  'cons', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_array(co.oid::int, co.conname, co.contype, co.convalidated, co.conrelid::regclass::text)), '[]')
           FROM pg_catalog.pg_constraint co WHERE co.conrelid <> 0
             AND co.connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace))
) AS s`;

export function parseState(row: unknown): CatalogState {
  const s = (
    row as {
      s: {
        locks: [number, string, boolean][];
        rels: [number, number, string, string, string][];
        cons: [number, string, string, boolean, string][];
      };
    }
  ).s;
  return {
    locks: s.locks.map(([oid, mode, granted]) => ({ oid, mode, granted })),
    rels: new Map(s.rels.map(([oid, node, schema, name, kind]) => [oid, [node, schema, name, kind]])),
    cons: new Map(s.cons.map(([oid, name, type, valid, table]) => [oid, [name, type, valid, table]])),
  };
}

/** Lock modes from weakest to strongest; SHARE and above block writes, ACCESS EXCLUSIVE blocks reads too. */
export const LOCK_ORDER = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

export const lockRank = (mode: string) => LOCK_ORDER.indexOf(mode);
/** Blocks other sessions' writes (or reads): what the budget counts. */
export const isBlocking = (mode: string) => lockRank(mode) >= lockRank('ShareLock');

/** ACCESS EXCLUSIVE, as people write it. */
export function lockName(mode: string): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/** Polls pg_locks for one backend from its own connection until stopped. */
export class LockSampler {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  readonly seen = new Map<string, { oid: number; mode: string; waited: boolean }>();
  constructor(
    private readonly client: pg.Client,
    private readonly pid: number,
    private readonly everyMs = 10,
  ) {}
  start(): void {
    this.seen.clear();
    const tick = async () => {
      if (this.busy) return;
      this.busy = true;
      try {
        const r = await this.client.query<{ oid: number; mode: string; granted: boolean }>(
          "SELECT relation::int AS oid, mode, granted FROM pg_catalog.pg_locks WHERE pid = $1 AND locktype = 'relation'",
          [this.pid],
        );
        for (const l of r.rows) {
          const k = `${l.oid}:${l.mode}`;
          const prev = this.seen.get(k);
          this.seen.set(k, { oid: l.oid, mode: l.mode, waited: (prev?.waited ?? false) || !l.granted });
        }
      } catch {
        // a failed sample only means fewer observations
      } finally {
        this.busy = false;
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), this.everyMs);
  }
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.busy) await new Promise((r) => setTimeout(r, 2));
  }
}
