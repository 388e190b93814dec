// `pgward clone`: schema by pg_dump/pg_restore, rows by parallel COPY streams straight from source to
// target, every reader inside one exported snapshot (a consistent copy), indexes and constraints built
// in parallel afterwards, then the rest of post-data, sequences, materialized views and validation.
// A clone that fails after touching the target empties it again: a partial copy never looks finished.
import type pg from 'pg';
import { isEmptyDatabase } from '../backup/verify.js';
import { qualified, quoteIdent, withClient } from '../db/connect.js';
import { sweepBeforeRun } from '../db/owned.js';
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import { InterruptedError, throwIfAborted } from '../interrupt.js';
import { pgConn } from '../pgtools/exec.js';
import { findPgTools } from '../pgtools/pgbin.js';
import { redactUrl } from '../redact.js';
import type { MaskingPlan } from './config.js';
import { copyTable } from './copy.js';
import {
  type CopyTable,
  type IndexTask,
  listCopyTables,
  listIndexTasks,
  listMatviews,
  readSequences,
} from './copy-plan.js';
import { columnDrift, onlyOnTarget } from './drift.js';
import { applyFilter, pgDumpTableArgs, type TableFilter } from './filter.js';
import { attachIndexes, buildIndex, buildIndexes, builtObjectIds } from './indexes.js';
import { maskExpression } from './mask.js';
import { runPool, TaskPool } from './pool.js';
import { type Endpoint, refuseUnsafeClone, wipeDatabase } from './refuse.js';
import { dumpSchema, restorePostData, restorePreData } from './schema.js';
import { closeAll, openSession, openSnapshotReader } from './session.js';
import {
  CLONE_STATE_SCHEMA,
  type CloneMark,
  clearCloneMark,
  describeMark,
  markCloneIncomplete,
  onlyMarkLeft,
  readCloneMark,
} from './state.js';
import { judge, measure, type TableCheck, type VerifyMode } from './validate.js';

/** Exit code of a clone (or compare) whose target differs from its source. */
export const EXIT_VALIDATION_FAILED = ExitCode.validationFailed;

export type CloneStep = 'schema' | 'data' | 'indexes' | 'post-data' | 'sequences' | 'validate';

export type CloneEvent =
  | { type: 'step'; step: CloneStep }
  | { type: 'plan'; tables: number; bytes: number; masked: number }
  | { type: 'table-start'; table: string; estBytes: number }
  | { type: 'bytes'; table: string; bytes: number }
  | { type: 'table-done'; table: string; rows: number; bytes: number; ms: number }
  | { type: 'index-done'; index: string; ms: number }
  | { type: 'notice'; detail: string };

export interface CloneOptions {
  source: Endpoint;
  target: Endpoint;
  clean?: boolean;
  schemaOnly?: boolean;
  filter?: Partial<TableFilter>;
  jobs?: number;
  masking?: MaskingPlan;
  /** count (default) or hash; hash reads every table once more on both sides. */
  verify?: VerifyMode;
  /** Compare source and target without copying anything. */
  compareOnly?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: CloneEvent) => void;
}

export interface CloneTableResult {
  table: string;
  rows: number;
  bytes: number;
  ms: number;
  masked: string[];
  dataCopied: boolean;
}

export interface CloneResult {
  ok: boolean;
  source: string;
  target: string;
  durationMs: number;
  steps: Partial<Record<CloneStep, number>>;
  tables: CloneTableResult[];
  indexes: number;
  sequences: number;
  checks: TableCheck[];
  differences: TableCheck[];
  /** --compare-only: the target's own mark of an unfinished clone (a finished clone has none). */
  targetIncomplete?: CloneMark | null;
}

interface Prepared {
  tables: CopyTable[];
  noData: Set<number>;
  /** table oid -> column -> SQL expression */
  masks: Map<number, Map<string, string>>;
  maskRules: Map<number, string[]>;
}

/** Resolves masking rules against the source's columns: a rule naming nothing is an error, never ignored. */
function resolveMasks(
  all: CopyTable[],
  selected: CopyTable[],
  plan: MaskingPlan | undefined,
): Prepared['masks'] {
  const masks: Prepared['masks'] = new Map();
  for (const m of plan?.columns ?? []) {
    const where = `${m.schema}.${m.table}.${m.column}`;
    const matches = all.filter(
      (t) =>
        (t.schema === m.schema && t.name === m.table) ||
        (t.rootSchema === m.schema && t.rootName === m.table),
    );
    if (!matches.length)
      throw new UsageError(
        `masking rule ${where}: no table ${m.schema}.${m.table} on the source`,
        'fix the rule in pgward.yaml',
      );
    for (const t of matches) {
      const col = t.columns.find((c) => c.name === m.column);
      if (!col)
        throw new UsageError(
          `masking rule ${where}: table ${t.schema}.${t.name} has no column ${m.column}`,
          'fix the rule in pgward.yaml',
        );
      if (!selected.includes(t)) continue;
      const expr = maskExpression(
        {
          ident: quoteIdent(col.name),
          name: col.name,
          type: col.type,
          notNull: col.notNull,
          unique: col.unique,
        },
        m.rule,
        plan?.salt ?? '',
        where,
      );
      const map = masks.get(t.oid) ?? new Map<string, string>();
      map.set(col.name, expr);
      masks.set(t.oid, map);
    }
  }
  return masks;
}

/**
 * What `pgward clone` does: copies one database into another (masked, validated).
 *
 * @example
 * ```ts
 * import { clone } from 'pgward';
 * const r = await clone({
 *   source: { url: 'postgresql://localhost/app' },
 *   target: { url: 'postgresql://localhost/app_copy' },
 *   clean: true,
 * });
 * console.log(r.ok, r.tables.length);
 * ```
 */
export async function clone(opts: CloneOptions): Promise<CloneResult> {
  const started = Date.now();
  const emit = opts.onEvent ?? (() => {});
  const jobs = Math.max(1, Math.min(opts.jobs ?? 4, 64));
  const verify = opts.verify ?? 'count';
  const steps: CloneResult['steps'] = {};
  const timeStep = async <T>(step: CloneStep, fn: () => Promise<T>): Promise<T> => {
    emit({ type: 'step', step });
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      steps[step] = Date.now() - t0;
    }
  };
  const ids = opts.compareOnly
    ? null
    : await refuseUnsafeClone(opts.source, opts.target, {
        clean: opts.clean === true,
        isEmpty: () => targetIsEmpty(opts.target.url, (detail) => emit({ type: 'notice', detail })),
      });
  // Clone does not create databases, but its target's server may hold orphans of killed runs.
  if (!opts.compareOnly) await sweepBeforeRun(opts.target.url, (detail) => emit({ type: 'notice', detail }));
  throwIfAborted(opts.signal, 'clone');

  // The snapshot holder: its transaction stays open until every reader has finished.
  const holder = await openSession(opts.source.url, 'snapshot');
  const readers: pg.Client[] = [];
  const writers: pg.Client[] = [];
  let touched = false;
  // An interrupt cancels the running COPY/index statements at once; the failure path then cleans up.
  const cancelRunning = () => void cancelBackends(opts.source.url, opts.target.url, readers, writers);
  opts.signal?.addEventListener('abort', cancelRunning, { once: true });
  try {
    await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await holder.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    const all = await listCopyTables(holder);
    const filter: TableFilter = {
      include: opts.filter?.include ?? [],
      exclude: opts.filter?.exclude ?? [],
      excludeData: opts.filter?.excludeData ?? [],
    };
    const { selected, excluded, noData } = applyFilter(all, filter);
    const masks = resolveMasks(all, selected, opts.masking);
    const masked = (t: CopyTable) => [...(masks.get(t.oid)?.keys() ?? [])];
    // Largest first: the long tables start early and the small ones fill the gaps at the end.
    const order = [...selected].sort((a, b) => b.bytes - a.bytes);
    emit({
      type: 'plan',
      tables: selected.length,
      bytes: selected.filter((t) => !noData.has(t.oid)).reduce((n, t) => n + t.bytes, 0),
      masked: [...masks.values()].reduce((n, m) => n + m.size, 0),
    });

    const results = new Map<number, CloneTableResult>();
    const sourceStats = new Map<number, { rows: number; hash?: string }>();
    let indexTasks: IndexTask[] = [];
    let sequences = 0;
    const copyData = !opts.schemaOnly && !opts.compareOnly;
    for (let i = 0; i < Math.min(jobs, Math.max(1, order.length)); i++) {
      readers.push(await openSnapshotReader(opts.source.url, snapshot));
      writers.push(await openSession(opts.target.url, 'writer'));
    }

    const sameMajor =
      ids !== null && Math.floor(ids.source.version / 10000) === Math.floor(ids.target.version / 10000);
    const onIndexDone = (t: IndexTask, ms: number) => emit({ type: 'index-done', index: t.indexName, ms });
    const copyOne = async ({ r, w }: { r: pg.Client; w: pg.Client }, t: CopyTable): Promise<void> => {
      const name = `${t.schema}.${t.name}`;
      const m = masks.get(t.oid) ?? new Map<string, string>();
      if (noData.has(t.oid)) {
        results.set(t.oid, {
          table: name,
          rows: 0,
          bytes: 0,
          ms: 0,
          masked: [...m.keys()],
          dataCopied: false,
        });
        sourceStats.set(t.oid, { rows: 0 });
        return;
      }
      emit({ type: 'table-start', table: name, estBytes: t.bytes });
      const t0 = performance.now();
      const res = await copyTable(
        r,
        w,
        t,
        m,
        (bytes) => emit({ type: 'bytes', table: name, bytes }),
        sameMajor,
      );
      const ms = Math.round(performance.now() - t0);
      results.set(t.oid, {
        table: name,
        rows: res.rows,
        bytes: res.bytes,
        ms,
        masked: [...m.keys()],
        dataCopied: true,
      });
      // The rows COPY read in the snapshot are the source side of the count; a hash needs a read of its own.
      sourceStats.set(
        t.oid,
        verify === 'hash' ? await measure(r, t, new Set(m.keys()), 'hash') : { rows: res.rows },
      );
      emit({ type: 'table-done', table: name, rows: res.rows, bytes: res.bytes, ms });
    };
    // Rows, indexes and ANALYZE in one pool, as pgcopydb overlaps them: a table's indexes are built as soon
    // as its rows are in (while the other workers still copy), then it is analyzed, after its indexes so
    // expression indexes get statistics too. The 'data' step ends with the last copy, 'indexes' covers
    // what remains after it. Constraints are attached once every index exists (instant, one connection).
    const copyAndIndex = async (): Promise<void> => {
      const pool = new TaskPool<{ r: pg.Client; w: pg.Client }>();
      const byTable = new Map<string, IndexTask[]>();
      for (const it of indexTasks) {
        const key = qualified(it.table.schema, it.table.name);
        byTable.set(key, [...(byTable.get(key) ?? []), it]);
      }
      emit({ type: 'step', step: 'data' });
      const t0 = Date.now();
      let tIndexes = t0;
      let copiesLeft = order.length;
      const copiesDone = () => {
        steps.data = Date.now() - t0;
        tIndexes = Date.now();
        emit({ type: 'step', step: 'indexes' });
      };
      if (!copiesLeft) copiesDone();
      for (const t of order) {
        const rel = qualified(t.schema, t.name);
        const own = byTable.get(rel) ?? [];
        byTable.delete(rel);
        const analyze = () => pool.add(({ w }) => w.query(`ANALYZE ${rel}`).then(() => {}), true);
        pool.add(async (c) => {
          await copyOne(c, t);
          if (--copiesLeft === 0) copiesDone();
          let left = own.length;
          for (const it of own)
            pool.add(async ({ w }) => {
              await buildIndex(w, it, onIndexDone);
              if (--left === 0) analyze();
            }, true);
          if (!own.length) analyze();
        });
      }
      // Indexes of tables not copied here (none expected: the tasks were listed for the selected tables).
      for (const rest of byTable.values())
        for (const it of rest) pool.add(({ w }) => buildIndex(w, it, onIndexDone), true);
      try {
        await pool.run(
          readers.map((r, i) => ({ r, w: writers[i]! })),
          opts.signal,
        );
        await attachIndexes(writers[0]!, indexTasks);
      } finally {
        steps.data ??= Date.now() - t0;
        steps.indexes = Date.now() - tIndexes;
      }
    };

    if (!opts.compareOnly) {
      const tools = await findPgTools(Math.floor(ids!.source.version / 10000), 'to copy the source schema');
      throwIfAborted(opts.signal, 'clone');
      // Marked before the first write and cleared only after validation passes.
      touched = true;
      await markCloneIncomplete(opts.target.url, redactUrl(opts.source.url));
      if (opts.clean) await wipeDatabase(opts.target.url, { keep: [CLONE_STATE_SCHEMA] });
      indexTasks = await listIndexTasks(
        holder,
        selected.map((t) => t.oid),
      );
      const seqValues = await readSequences(holder);
      const matviews = await listMatviews(holder);
      const archive = await timeStep('schema', async () => {
        const a = await dumpSchema(
          tools,
          pgConn(opts.source.url),
          snapshot,
          pgDumpTableArgs(selected, excluded),
          opts.signal,
        );
        await restorePreData(tools, a, pgConn(opts.target.url), opts.signal);
        return a;
      });
      try {
        for (const w of writers) await w.query('SET synchronous_commit = off');
        if (copyData) await copyAndIndex();
        else await timeStep('indexes', () => buildIndexes(writers, indexTasks, onIndexDone, opts.signal));
        await timeStep('post-data', () =>
          restorePostData(
            tools,
            archive,
            pgConn(opts.target.url),
            builtObjectIds(indexTasks),
            jobs,
            opts.signal,
          ),
        );
      } finally {
        archive.cleanup();
      }
      await timeStep('sequences', async () => {
        const w = writers[0]!;
        for (const s of seqValues) {
          const rel = qualified(s.schema, s.name);
          const exists = (await w.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [rel]))
            .rows[0]?.t;
          if (!exists) continue;
          await w.query('SELECT pg_catalog.setval($1::regclass, $2::bigint, $3)', [
            rel,
            s.lastValue,
            s.isCalled,
          ]);
          sequences++;
        }
        if (copyData)
          for (const mv of matviews) {
            const rel = qualified(mv.schema, mv.name);
            const exists = (await w.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [rel]))
              .rows[0]?.t;
            if (exists) await w.query(`REFRESH MATERIALIZED VIEW ${rel}`);
          }
      });
    }

    // Validation: the target's own count (and hash) of every copied table against the snapshot's.
    let checks: TableCheck[] = [];
    if (!opts.schemaOnly) {
      checks = await timeStep('validate', async () => {
        // The target's tables as they are: columns that drifted are a difference, not a query error.
        const targetTables = applyFilter(await listCopyTables(writers[0]!), filter).selected.filter(
          (t) => t.schema !== CLONE_STATE_SCHEMA,
        );
        const drift = columnDrift(selected, targetTables);
        const out = new Map<number, TableCheck>();
        await runPool(
          readers.map((r, i) => ({ r, w: writers[i]! })),
          order,
          async ({ r, w }, t) => {
            const name = `${t.schema}.${t.name}`;
            const m = new Set(masked(t));
            const drifted = drift.get(name);
            const src = sourceStats.get(t.oid) ?? (await measure(r, t, m, drifted ? 'count' : verify));
            out.set(t.oid, await checkTarget(w, t, name, src, m, drifted));
          },
          opts.signal,
        );
        const extra = opts.compareOnly ? onlyOnTarget(selected, targetTables).map(extraCheck) : [];
        return [...order.map((t) => out.get(t.oid)!), ...extra].sort((a, b) =>
          a.table.localeCompare(b.table),
        );
      });
    }
    throwIfAborted(opts.signal, 'clone');
    const targetIncomplete = opts.compareOnly ? await readCloneMark(opts.target.url) : undefined;
    const differences = checks.filter((c) => !c.ok);
    // Only a validated copy stops being marked incomplete; a failed validation keeps the mark.
    if (!opts.compareOnly && differences.length === 0) await clearCloneMark(opts.target.url);
    const tables = opts.compareOnly
      ? []
      : selected.map(
          (t) =>
            results.get(t.oid) ?? {
              table: `${t.schema}.${t.name}`,
              rows: 0,
              bytes: 0,
              ms: 0,
              masked: masked(t),
              dataCopied: false,
            },
        );
    return {
      ok: differences.length === 0 && !targetIncomplete,
      source: redactUrl(opts.source.url),
      target: redactUrl(opts.target.url),
      durationMs: Date.now() - started,
      steps,
      tables,
      indexes: indexTasks.length,
      sequences,
      checks,
      differences,
      ...(opts.compareOnly ? { targetIncomplete: targetIncomplete ?? null } : {}),
    };
  } catch (err) {
    if (touched) {
      await closeAll(writers);
      writers.length = 0;
      // Emptied, but the incomplete-clone mark stays: the target must not look like a finished clone.
      const wiped = await wipeDatabase(opts.target.url, { keep: [CLONE_STATE_SCHEMA] }).then(
        () => true,
        () => false,
      );
      const what = wiped
        ? 'the target was emptied again and stays marked as an incomplete clone'
        : 'the target could not be emptied: it holds a partial copy, marked as an incomplete clone';
      if (opts.signal?.aborted) throw new InterruptedError('clone', what);
      const e = err instanceof PgwardError ? err : undefined;
      throw new PgwardError(`clone failed: ${(err as Error).message}`, {
        ...(e ? { exitCode: e.exitCode, details: e.details } : {}),
        hint: `${what}; fix the cause and rerun with --clean`,
      });
    }
    if (opts.signal?.aborted) throw new InterruptedError('clone', 'the target was not changed');
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', cancelRunning);
    await closeAll([...readers, ...writers]);
    await holder.query('ROLLBACK').catch(() => {});
    await holder.end().catch(() => {});
  }
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

/** Cancels whatever the clone's connections are running (the pool then stops taking work). */
async function cancelBackends(
  sourceUrl: string,
  targetUrl: string,
  readers: pg.Client[],
  writers: pg.Client[],
): Promise<void> {
  const pids = (cs: pg.Client[]) =>
    cs.map((c) => (c as pg.Client & { processID?: number }).processID).filter((p) => p);
  const cancel = (url: string, list: (number | undefined)[]) =>
    list.length
      ? withClient(url, (c) =>
          c.query('SELECT pg_cancel_backend(p) FROM unnest($1::int[]) AS p', [list]),
        ).catch(() => {})
      : Promise.resolve();
  await Promise.all([cancel(sourceUrl, pids(readers)), cancel(targetUrl, pids(writers))]);
}

/**
 * Empty, or holding nothing but an earlier clone's incomplete mark (that clone failed and emptied it:
 * replacing it loses nothing). A partial copy next to the mark is refused, saying what it is.
 */
async function targetIsEmpty(url: string, notice: (detail: string) => void): Promise<boolean> {
  if (await isEmptyDatabase(url)) return true;
  const mark = await readCloneMark(url);
  if (!mark) return false;
  if (await onlyMarkLeft(url)) {
    notice(`the target held ${describeMark(mark)}, emptied since: replacing it`);
    return true;
  }
  throw new PgwardError(`target database holds ${describeMark(mark)}: nothing was changed`, {
    exitCode: ExitCode.gateBlocked,
    hint: 'rerun the clone with --clean to replace the partial copy',
  });
}
