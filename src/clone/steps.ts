// The steps of a clone that work table by table: copy the rows (with their indexes and ANALYZE in the
// same pool), set sequences and refresh materialized views, and validate the target against the
// snapshot. They share one CloneRun: the options, the connections and what the earlier steps found.
import type pg from 'pg';
import { qualified } from '../db/connect.js';
import { copyTable, type PageRange } from './copy.js';
import {
  type CopyTable,
  type IndexTask,
  listCopyTables,
  type listMatviews,
  type readSequences,
} from './copy-plan.js';
import { columnDrift, onlyOnTarget } from './drift.js';
import { applyFilter, type TableFilter } from './filter.js';
import { attachIndexes, buildIndex } from './indexes.js';
import { runPool, TaskPool } from './pool.js';
import { CLONE_STATE_SCHEMA } from './state.js';
import type { CloneEvent, CloneOptions, CloneResult, CloneStep, CloneTableResult } from './types.js';
import { judge, measure, type TableCheck, type VerifyMode } from './validate.js';

/** One clone in progress: set up by clone(), read and filled in by its steps. */
export interface CloneRun {
  opts: CloneOptions;
  emit: (e: CloneEvent) => void;
  jobs: number;
  verify: VerifyMode;
  steps: CloneResult['steps'];
  /** The snapshot holder: its transaction stays open until every reader has finished. */
  holder: pg.Client;
  readers: pg.Client[];
  writers: pg.Client[];
  /** Set before the first write to the target: from then on a failure must empty it again. */
  touched: boolean;
  /** Source and target run the same major version (COPY BINARY is then safe). */
  sameMajor: boolean;
  /** Tables larger than this (bytes) are copied in page ranges by several workers; 0: never. */
  splitBytes: number;
  snapshot: string;
  filter: TableFilter;
  selected: CopyTable[];
  excluded: CopyTable[];
  noData: Set<number>;
  /** table oid -> column -> SQL expression */
  masks: Map<number, Map<string, string>>;
  /** Largest first: the long tables start early and the small ones fill the gaps at the end. */
  order: CopyTable[];
  results: Map<number, CloneTableResult>;
  sourceStats: Map<number, { rows: number; hash?: string }>;
  indexTasks: IndexTask[];
  sequences: number;
}

type Pair = { r: pg.Client; w: pg.Client };

export const maskedColumns = (run: CloneRun, t: CopyTable): string[] => [
  ...(run.masks.get(t.oid)?.keys() ?? []),
];

export async function timeStep<T>(run: CloneRun, step: CloneStep, fn: () => Promise<T>): Promise<T> {
  run.emit({ type: 'step', step });
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    run.steps[step] = Date.now() - t0;
  }
}

export const onIndexDone = (run: CloneRun) => (t: IndexTask, ms: number) =>
  run.emit({ type: 'index-done', index: t.indexName, ms });

const pairs = (run: CloneRun): Pair[] => run.readers.map((r, i) => ({ r, w: run.writers[i]! }));

/** One table's rows, source snapshot to target; the source side of its check is recorded on the way. */
async function copyOne(run: CloneRun, { r, w }: Pair, t: CopyTable): Promise<void> {
  const name = `${t.schema}.${t.name}`;
  const m = run.masks.get(t.oid) ?? new Map<string, string>();
  if (run.noData.has(t.oid)) {
    run.results.set(t.oid, {
      table: name,
      rows: 0,
      bytes: 0,
      ms: 0,
      masked: [...m.keys()],
      dataCopied: false,
    });
    run.sourceStats.set(t.oid, { rows: 0 });
    return;
  }
  run.emit({ type: 'table-start', table: name, estBytes: t.bytes });
  const t0 = performance.now();
  const res = await copyTable(
    r,
    w,
    t,
    m,
    (bytes) => run.emit({ type: 'bytes', table: name, bytes }),
    run.sameMajor,
  );
  await copied(run, r, t, res.rows, res.bytes, Math.round(performance.now() - t0));
}

/** A copied table's result and the source side of its check (the rows COPY read in the snapshot). */
async function copied(
  run: CloneRun,
  r: pg.Client,
  t: CopyTable,
  rows: number,
  bytes: number,
  ms: number,
  parts?: number,
) {
  const name = `${t.schema}.${t.name}`;
  const masked = maskedColumns(run, t);
  run.results.set(t.oid, {
    table: name,
    rows,
    bytes,
    ms,
    masked,
    dataCopied: true,
    ...(parts ? { parts } : {}),
  });
  // The rows COPY read in the snapshot are the source side of the count; a hash needs a read of its own.
  run.sourceStats.set(t.oid, run.verify === 'hash' ? await measure(r, t, new Set(masked), 'hash') : { rows });
  run.emit({ type: 'table-done', table: name, rows, bytes, ms });
}

/**
 * The page ranges a large table is copied in, one COPY each, running at once on several workers in
 * the same snapshot (as pgcopydb's --split-tables-larger-than); undefined: copied whole. A table above
 * the threshold gets one part per job (a table that holds most of the rows keeps every job busy); the
 * last part is open-ended (pages added since the plan was read are in the snapshot's range scan too).
 */
export function splitRanges(t: CopyTable, jobs: number, splitBytes: number): PageRange[] | undefined {
  if (!splitBytes || jobs < 2 || t.bytes <= splitBytes || t.pages < jobs) return undefined;
  const n = jobs;
  const step = Math.ceil(t.pages / n);
  return Array.from({ length: n }, (_, i) =>
    i === n - 1 ? { fromPage: i * step } : { fromPage: i * step, toPage: (i + 1) * step },
  );
}

/** The parts of one split table: each copies its range; the last one to finish records the table. */
function splitCopy(run: CloneRun, t: CopyTable, parts: number) {
  const name = `${t.schema}.${t.name}`;
  const m = run.masks.get(t.oid) ?? new Map<string, string>();
  let rows = 0;
  let bytes = 0;
  let left = parts;
  let t0: number | undefined;
  return async ({ r, w }: Pair, range: PageRange): Promise<boolean> => {
    if (t0 === undefined) {
      t0 = performance.now();
      run.emit({ type: 'table-start', table: name, estBytes: t.bytes });
    }
    const onBytes = (n: number) => run.emit({ type: 'bytes', table: name, bytes: n });
    const res = await copyTable(r, w, t, m, onBytes, run.sameMajor, range);
    rows += res.rows;
    bytes += res.bytes;
    if (--left > 0) return false;
    await copied(run, r, t, rows, bytes, Math.round(performance.now() - t0), parts);
    return true;
  };
}

/**
 * Rows, indexes and ANALYZE in one pool, as pgcopydb overlaps them: a table's indexes are built as soon
 * as its rows are in (while the other workers still copy), then it is analyzed, after its indexes so
 * expression indexes get statistics too. The 'data' step ends with the last copy, 'indexes' covers
 * what remains after it. Constraints are attached once every index exists (instant, one connection).
 */
export async function copyAndIndex(run: CloneRun): Promise<void> {
  const pool = new TaskPool<Pair>();
  const byTable = indexTasksByTable(run.indexTasks);
  const done = onIndexDone(run);
  run.emit({ type: 'step', step: 'data' });
  const t0 = Date.now();
  let tIndexes = t0;
  let copiesLeft = run.order.length;
  const copiesDone = () => {
    run.steps.data = Date.now() - t0;
    tIndexes = Date.now();
    run.emit({ type: 'step', step: 'indexes' });
  };
  if (!copiesLeft) copiesDone();
  for (const t of run.order) {
    const rel = qualified(t.schema, t.name);
    const own = byTable.get(rel) ?? [];
    byTable.delete(rel);
    const analyze = () => pool.add(({ w }) => w.query(`ANALYZE ${rel}`).then(() => {}), true);
    const afterCopy = () => {
      if (--copiesLeft === 0) copiesDone();
      let left = own.length;
      for (const it of own)
        pool.add(async ({ w }) => {
          await buildIndex(w, it, done);
          if (--left === 0) analyze();
        }, true);
      if (!own.length) analyze();
    };
    const ranges = run.noData.has(t.oid) ? undefined : splitRanges(t, run.jobs, run.splitBytes);
    if (!ranges)
      pool.add(async (c) => {
        await copyOne(run, c, t);
        afterCopy();
      });
    else {
      const part = splitCopy(run, t, ranges.length);
      for (const range of ranges)
        pool.add(async (c) => {
          if (await part(c, range)) afterCopy();
        });
    }
  }
  // Indexes of tables not copied here (none expected: the tasks were listed for the selected tables).
  for (const rest of byTable.values())
    for (const it of rest) pool.add(({ w }) => buildIndex(w, it, done), true);
  try {
    await pool.run(pairs(run), run.opts.signal);
    await attachIndexes(run.writers[0]!, run.indexTasks);
  } finally {
    run.steps.data ??= Date.now() - t0;
    run.steps.indexes = Date.now() - tIndexes;
  }
}

function indexTasksByTable(tasks: IndexTask[]): Map<string, IndexTask[]> {
  const byTable = new Map<string, IndexTask[]>();
  for (const it of tasks) {
    const key = qualified(it.table.schema, it.table.name);
    byTable.set(key, [...(byTable.get(key) ?? []), it]);
  }
  return byTable;
}

/** Sequences take the snapshot's values; materialized views are refreshed when rows were copied. */
export async function restoreSequences(
  run: CloneRun,
  seqValues: Awaited<ReturnType<typeof readSequences>>,
  matviews: Awaited<ReturnType<typeof listMatviews>>,
  copyData: boolean,
): Promise<void> {
  const w = run.writers[0]!;
  const exists = async (rel: string) =>
    (await w.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [rel])).rows[0]?.t;
  for (const s of seqValues) {
    const rel = qualified(s.schema, s.name);
    if (!(await exists(rel))) continue;
    await w.query('SELECT pg_catalog.setval($1::regclass, $2::bigint, $3)', [rel, s.lastValue, s.isCalled]);
    run.sequences++;
  }
  if (copyData)
    for (const mv of matviews) {
      const rel = qualified(mv.schema, mv.name);
      if (await exists(rel)) await w.query(`REFRESH MATERIALIZED VIEW ${rel}`);
    }
}

/** Validation: the target's own count (and hash) of every copied table against the snapshot's. */
export async function validateTarget(run: CloneRun): Promise<TableCheck[]> {
  // The target's tables as they are: columns that drifted are a difference, not a query error.
  const targetTables = applyFilter(await listCopyTables(run.writers[0]!), run.filter).selected.filter(
    (t) => t.schema !== CLONE_STATE_SCHEMA,
  );
  const drift = columnDrift(run.selected, targetTables);
  const out = new Map<number, TableCheck>();
  await runPool(
    pairs(run),
    run.order,
    async ({ r, w }, t) => {
      const name = `${t.schema}.${t.name}`;
      const m = new Set(maskedColumns(run, t));
      const drifted = drift.get(name);
      const src = run.sourceStats.get(t.oid) ?? (await measure(r, t, m, drifted ? 'count' : run.verify));
      out.set(t.oid, await checkTarget(w, t, name, src, m, drifted));
    },
    run.opts.signal,
  );
  const extra = run.opts.compareOnly ? onlyOnTarget(run.selected, targetTables).map(extraCheck) : [];
  return [...run.order.map((t) => out.get(t.oid)!), ...extra].sort((a, b) => a.table.localeCompare(b.table));
}

/** The target side of one table's check; a table that drifted or cannot be read is a difference. */
async function checkTarget(
  w: pg.Client,
  t: CopyTable,
  name: string,
  src: { rows: number; hash?: string },
  masked: Set<string>,
  drifted: string | undefined,
): Promise<TableCheck> {
  const exists = (
    await w.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [qualified(t.schema, t.name)])
  ).rows[0]?.t;
  if (!exists) return judge(name, src, null, [...masked]);
  try {
    if (drifted) {
      const dst = await measure(w, t, masked, 'count');
      return { ...judge(name, { rows: src.rows }, dst, [...masked]), ok: false, problem: drifted };
    }
    const dst = await measure(w, t, masked, src.hash !== undefined ? 'hash' : 'count');
    return judge(name, src, dst, [...masked]);
  } catch (err) {
    return {
      ...judge(name, src, null, [...masked]),
      problem: `cannot be read on the target: ${(err as Error).message}`,
    };
  }
}

function extraCheck(t: CopyTable): TableCheck {
  return {
    table: `${t.schema}.${t.name}`,
    sourceRows: 0,
    targetRows: null,
    maskedColumns: [],
    ok: false,
    problem: 'only on the target',
  };
}
