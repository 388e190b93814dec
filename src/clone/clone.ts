// `pgward clone`: schema by pg_dump/pg_restore, rows by parallel COPY streams straight from source to
// target, every reader inside one exported snapshot (a consistent copy), indexes and constraints built
// in parallel afterwards, then the rest of post-data, sequences, materialized views and validation.
// A clone that fails after touching the target empties it again: a partial copy never looks finished.

import type pg from 'pg';
import { isEmptyDatabase } from '../backup/verify.js';
import { quoteIdent, withClient } from '../db/connect.js';
import { sweepBeforeRun } from '../db/owned.js';
import { assertSessionHolds, sessionOf } from '../db/pooler.js';
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import { InterruptedError, throwIfAborted } from '../interrupt.js';
import { pgConn } from '../pgtools/exec.js';
import { findPgTools, warmPgTools } from '../pgtools/pgbin.js';
import { redactUrl } from '../redact.js';
import type { MaskingPlan } from './config.js';
import { type CopyTable, listCopyTables, listIndexTasks, listMatviews, readSequences } from './copy-plan.js';
import { applyFilter, pgDumpTableArgs } from './filter.js';
import { buildIndexes, builtObjectIds } from './indexes.js';
import { maskExpression } from './mask.js';
import { refuseUnsafeClone, wipeDatabase } from './refuse.js';
import { dumpSchema, restorePostData, restorePreData } from './schema.js';
import { closeAll, openSession, openSnapshotReader } from './session.js';
import {
  CLONE_STATE_SCHEMA,
  clearCloneMark,
  describeMark,
  markCloneIncomplete,
  onlyMarkLeft,
  readCloneMark,
} from './state.js';
import {
  type CloneRun,
  copyAndIndex,
  maskedColumns,
  onIndexDone,
  restoreSequences,
  timeStep,
  validateTarget,
} from './steps.js';
import type { CloneEvent, CloneOptions, CloneResult } from './types.js';
import type { TableCheck } from './validate.js';

export type {
  CloneEvent,
  CloneOptions,
  CloneResult,
  CloneStep,
  CloneTableResult,
} from './types.js';

/** Tables larger than this are copied in page ranges by several jobs at once (the default). */
export const DEFAULT_SPLIT_BYTES = 128 * 1024 * 1024;

type Identities = Awaited<ReturnType<typeof refuseUnsafeClone>>;

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
  // The client tools' version checks (processes) run while the target is identified and checked. The
  // source's snapshot session opens after that, on its own: opened side by side with the target's
  // checks, it once let a clone through a transaction pooler in CI (net-pooler.test.ts).
  if (!opts.compareOnly) warmPgTools();
  const ids = await refuseUnsafeTarget(opts, emit);
  const run = newRun(opts, emit, await openSourceHolder(opts), ids);
  // An interrupt cancels the running COPY/index statements at once; the failure path then cleans up.
  const cancelRunning = () => void cancelBackends(opts.source.url, opts.target.url, run.readers, run.writers);
  opts.signal?.addEventListener('abort', cancelRunning, { once: true });
  try {
    await planInSnapshot(run);
    if (!opts.compareOnly) await copyIntoTarget(run, ids!);
    const checks = opts.schemaOnly ? [] : await timeStep(run, 'validate', () => validateTarget(run));
    return await finish(run, checks, started);
  } catch (err) {
    throw await failureOf(run, err);
  } finally {
    opts.signal?.removeEventListener('abort', cancelRunning);
    await closeAll([...run.readers, ...run.writers]);
    await run.holder.query('ROLLBACK').catch(() => {});
    await run.holder.end().catch(() => {});
  }
}

/** The source session that holds the snapshot: it and the readers sharing it need real sessions. */
async function openSourceHolder(opts: CloneOptions): Promise<pg.Client> {
  const holder = await openSession(opts.source.url, 'snapshot');
  try {
    await assertSessionHolds(
      holder,
      sessionOf(opts.source),
      'a clone (one snapshot shared by several sessions)',
    );
  } catch (err) {
    await holder.end().catch(() => {});
    throw err;
  }
  return holder;
}

/** A copy refuses an unsafe target (protected, the source itself, not empty); a comparison writes nothing. */
async function refuseUnsafeTarget(
  opts: CloneOptions,
  emit: (e: CloneEvent) => void,
): Promise<Identities | null> {
  const notice = (detail: string) => emit({ type: 'notice', detail });
  const ids = opts.compareOnly
    ? null
    : await refuseUnsafeClone(opts.source, opts.target, {
        clean: opts.clean === true,
        isEmpty: () => targetIsEmpty(opts.target.url, notice),
      });
  // Clone does not create databases, but its target's server may hold orphans of killed runs.
  if (!opts.compareOnly) await sweepBeforeRun(opts.target.url, notice);
  throwIfAborted(opts.signal, 'clone');
  return ids;
}

function newRun(
  opts: CloneOptions,
  emit: (e: CloneEvent) => void,
  holder: pg.Client,
  ids: Identities | null,
): CloneRun {
  return {
    opts,
    emit,
    jobs: Math.max(1, Math.min(opts.jobs ?? 4, 64)),
    verify: opts.verify ?? 'count',
    steps: {},
    holder,
    readers: [],
    writers: [],
    touched: false,
    // TID range scans (a part reads only its pages) came with PostgreSQL 14.
    splitBytes:
      ids !== null && ids.source.version >= 140000
        ? Math.max(0, opts.splitTablesLargerThan ?? DEFAULT_SPLIT_BYTES)
        : 0,
    sameMajor:
      ids !== null && Math.floor(ids.source.version / 10000) === Math.floor(ids.target.version / 10000),
    snapshot: '',
    filter: { include: [], exclude: [], excludeData: [] },
    selected: [],
    excluded: [],
    noData: new Set(),
    masks: new Map(),
    order: [],
    results: new Map(),
    sourceStats: new Map(),
    indexTasks: [],
    sequences: 0,
  };
}

/** Exports the snapshot, selects and masks the tables in it, and opens one reader/writer pair per job. */
async function planInSnapshot(run: CloneRun): Promise<void> {
  const { opts, holder } = run;
  await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  run.snapshot = (await holder.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
  const all = await listCopyTables(holder);
  run.filter = {
    include: opts.filter?.include ?? [],
    exclude: opts.filter?.exclude ?? [],
    excludeData: opts.filter?.excludeData ?? [],
  };
  const { selected, excluded, noData } = applyFilter(all, run.filter);
  Object.assign(run, { selected, excluded, noData, masks: resolveMasks(all, selected, opts.masking) });
  run.order = [...selected].sort((a, b) => b.bytes - a.bytes);
  run.emit({
    type: 'plan',
    tables: selected.length,
    bytes: selected.filter((t) => !noData.has(t.oid)).reduce((n, t) => n + t.bytes, 0),
    masked: [...run.masks.values()].reduce((n, m) => n + m.size, 0),
  });
  // Opened all at once (each is a few round trips): pushed as they come, so a failure closes those opened.
  const n = Math.min(run.jobs, Math.max(1, run.order.length));
  const opened = await Promise.allSettled(
    Array.from({ length: n }, () => [
      openSnapshotReader(opts.source.url, run.snapshot).then((c) => run.readers.push(c)),
      openSession(opts.target.url, 'writer').then((c) => run.writers.push(c)),
    ]).flat(),
  );
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** Schema (pre-data), rows with their indexes, post-data, then sequences and materialized views. */
async function copyIntoTarget(run: CloneRun, ids: Identities): Promise<void> {
  const { opts, holder } = run;
  const tools = await findPgTools(Math.floor(ids.source.version / 10000), 'to copy the source schema');
  throwIfAborted(opts.signal, 'clone');
  // Marked before the first write and cleared only after validation passes.
  run.touched = true;
  // The source's indexes, sequences and views are read (in the snapshot) while the target is marked.
  const reading = (async () => {
    const indexTasks = await listIndexTasks(
      holder,
      run.selected.map((t) => t.oid),
    );
    return { indexTasks, seqValues: await readSequences(holder), matviews: await listMatviews(holder) };
  })();
  const marking = (async () => {
    await markCloneIncomplete(opts.target.url, redactUrl(opts.source.url));
    if (opts.clean) await wipeDatabase(opts.target.url, { keep: [CLONE_STATE_SCHEMA] });
  })();
  // Both settle before anything else happens (the failure path must not race a wipe still running).
  const [read, marked] = await Promise.allSettled([reading, marking]);
  if (read.status === 'rejected') throw read.reason;
  if (marked.status === 'rejected') throw marked.reason;
  run.indexTasks = read.value.indexTasks;
  const { seqValues, matviews } = read.value;
  const archive = await timeStep(run, 'schema', async () => {
    const tableArgs = pgDumpTableArgs(run.selected, run.excluded);
    const a = await dumpSchema(tools, pgConn(opts.source.url), run.snapshot, tableArgs, opts.signal);
    await restorePreData(tools, a, pgConn(opts.target.url), opts.signal);
    return a;
  });
  const copyData = !opts.schemaOnly;
  try {
    for (const w of run.writers) await w.query('SET synchronous_commit = off');
    if (copyData) await copyAndIndex(run);
    else
      await timeStep(run, 'indexes', () =>
        buildIndexes(run.writers, run.indexTasks, onIndexDone(run), opts.signal),
      );
    const built = builtObjectIds(run.indexTasks);
    await timeStep(run, 'post-data', () =>
      restorePostData(tools, archive, pgConn(opts.target.url), built, run.jobs, opts.signal),
    );
  } finally {
    archive.cleanup();
  }
  await timeStep(run, 'sequences', () => restoreSequences(run, seqValues, matviews, copyData));
}

/** The result; only a validated copy stops being marked incomplete (a failed validation keeps the mark). */
async function finish(run: CloneRun, checks: TableCheck[], started: number): Promise<CloneResult> {
  const { opts } = run;
  throwIfAborted(opts.signal, 'clone');
  const targetIncomplete = opts.compareOnly ? await readCloneMark(opts.target.url) : undefined;
  const differences = checks.filter((c) => !c.ok);
  if (!opts.compareOnly && differences.length === 0) await clearCloneMark(opts.target.url);
  const tables = opts.compareOnly
    ? []
    : run.selected.map(
        (t) =>
          run.results.get(t.oid) ?? {
            table: `${t.schema}.${t.name}`,
            rows: 0,
            bytes: 0,
            ms: 0,
            masked: maskedColumns(run, t),
            dataCopied: false,
          },
      );
  return {
    ok: differences.length === 0 && !targetIncomplete,
    source: redactUrl(opts.source.url),
    target: redactUrl(opts.target.url),
    durationMs: Date.now() - started,
    steps: run.steps,
    tables,
    indexes: run.indexTasks.length,
    sequences: run.sequences,
    checks,
    differences,
    ...(opts.compareOnly ? { targetIncomplete: targetIncomplete ?? null } : {}),
  };
}

/** What a failed clone throws; a target it touched is emptied again first and keeps its incomplete mark. */
async function failureOf(run: CloneRun, err: unknown): Promise<unknown> {
  const { opts } = run;
  if (run.touched) {
    await closeAll(run.writers);
    run.writers.length = 0;
    // Emptied, but the incomplete-clone mark stays: the target must not look like a finished clone.
    const wiped = await wipeDatabase(opts.target.url, { keep: [CLONE_STATE_SCHEMA] }).then(
      () => true,
      () => false,
    );
    const what = wiped
      ? 'the target was emptied again and stays marked as an incomplete clone'
      : 'the target could not be emptied: it holds a partial copy, marked as an incomplete clone';
    if (opts.signal?.aborted) return new InterruptedError('clone', what);
    const e = err instanceof PgwardError ? err : undefined;
    return new PgwardError(`clone failed: ${(err as Error).message}`, {
      ...(e ? { exitCode: e.exitCode, details: e.details } : {}),
      hint: `${what}; fix the cause and rerun with --clean`,
    });
  }
  if (opts.signal?.aborted) return new InterruptedError('clone', 'the target was not changed');
  return err;
}

/** Resolves masking rules against the source's columns: a rule naming nothing is an error, never ignored. */
function resolveMasks(
  all: CopyTable[],
  selected: CopyTable[],
  plan: MaskingPlan | undefined,
): CloneRun['masks'] {
  const masks: CloneRun['masks'] = new Map();
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
