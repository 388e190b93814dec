// Indexes and PRIMARY KEY/UNIQUE constraints built in parallel once the rows are in, as pgcopydb does:
// a constraint's index is first built as a plain unique index (SHARE lock: other indexes of the same
// table build at the same time), then attached with ADD CONSTRAINT ... USING INDEX, which is instant.
import type pg from 'pg';
import { qualified, quoteIdent } from '../db/connect.js';
import type { IndexTask } from './copy-plan.js';
import { runPool } from './pool.js';

export async function buildIndexes(
  clients: pg.Client[],
  tasks: IndexTask[],
  onDone: (t: IndexTask, ms: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  await runPool(clients, tasks, (c, t) => buildIndex(c, t, onDone), signal);
  await attachIndexes(clients[0]!, tasks);
}

/** One index build; the clone runs these as soon as their table's rows are in. */
export async function buildIndex(
  c: pg.Client,
  t: IndexTask,
  onDone: (t: IndexTask, ms: number) => void,
): Promise<void> {
  const started = performance.now();
  await c.query(t.indexDef);
  onDone(t, performance.now() - started);
}

/** Turns the built unique indexes into their constraints, once every index exists. */
export async function attachIndexes(c: pg.Client, tasks: IndexTask[]): Promise<void> {
  // Attaching takes ACCESS EXCLUSIVE on the table but no scan; one connection is enough, and it keeps
  // FK-free ordering trivial. Clustering and replica identity were part of pg_dump's INDEX entries.
  for (const t of tasks) {
    const rel = `ONLY ${qualified(t.table.schema, t.table.name)}`;
    if (t.constraint) {
      const k = t.constraint;
      const kind = k.type === 'p' ? 'PRIMARY KEY' : 'UNIQUE';
      const defer = k.deferrable ? ` DEFERRABLE INITIALLY ${k.deferred ? 'DEFERRED' : 'IMMEDIATE'}` : '';
      await c.query(
        `ALTER TABLE ${rel} ADD CONSTRAINT ${quoteIdent(k.name)} ${kind} USING INDEX ${quoteIdent(t.indexName)}${defer}`,
      );
    }
    if (t.clustered)
      await c.query(`ALTER TABLE ${rel} CLUSTER ON ${quoteIdent(t.constraint?.name ?? t.indexName)}`);
    if (t.replicaIdentity)
      await c.query(
        `ALTER TABLE ${rel} REPLICA IDENTITY USING INDEX ${quoteIdent(t.constraint?.name ?? t.indexName)}`,
      );
  }
}

/** Object ids pg_restore's post-data step must skip: these indexes and constraints already exist. */
export function builtObjectIds(tasks: IndexTask[]): Set<number> {
  const ids = new Set<number>();
  for (const t of tasks) {
    ids.add(t.indexOid);
    if (t.constraint) ids.add(t.constraint.oid);
  }
  return ids;
}
