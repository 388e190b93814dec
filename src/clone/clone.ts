// `pgward clone`: schema by pg_dump/pg_restore, rows by parallel COPY streams straight from source to
// target, every reader inside one exported snapshot (a consistent copy), indexes and constraints built
// in parallel afterwards, then the rest of post-data, sequences, materialized views and validation.
// A clone that fails after touching the target empties it again: a partial copy never looks finished.
import type pg from 'pg';
import { pgConn } from '../backup/exec.js';
import { findPgTools } from '../backup/pgbin.js';
import { isEmptyDatabase } from '../backup/verify.js';
import { qualified, quoteIdent } from '../db/connect.js';
import { ExitCode, type ExitCodeValue, PgwardError, UsageError } from '../errors.js';
import { redactUrl } from '../redact.js';
import {
  type CopyTable,
  type IndexTask,
  listCopyTables,
  listIndexTasks,
  listMatviews,
  readSequences,
} from './catalog.js';
import type { MaskingPlan } from './config.js';
import { copyTable } from './copy.js';
import { applyFilter, pgDumpTableArgs, type TableFilter } from './filter.js';
import { attachIndexes, buildIndex, buildIndexes, builtObjectIds } from './indexes.js';
import { maskExpression } from './mask.js';
import { runPool, TaskPool } from './pool.js';
import { type Endpoint, refuseUnsafeClone, wipeDatabase } from './refuse.js';
import { dumpSchema, restorePostData, restorePreData } from './schema.js';
import { closeAll, openSession, openSnapshotReader } from './session.js';
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
  | { type: 'index-done'; index: string; ms: number };

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
        isEmpty: () => isEmptyDatabase(opts.target.url),
      });

  // The snapshot holder: its transaction stays open until every reader has finished.
  const holder = await openSession(opts.source.url, 'snapshot');
  const readers: pg.Client[] = [];
  const writers: pg.Client[] = [];
  let touched = false;
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
      if (opts.clean) {
        touched = true;
        await wipeDatabase(opts.target.url);
      }
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
        );
        touched = true;
        await restorePreData(tools, a, pgConn(opts.target.url));
        return a;
      });
      try {
        for (const w of writers) await w.query('SET synchronous_commit = off');
        if (copyData) await copyAndIndex();
        else await timeStep('indexes', () => buildIndexes(writers, indexTasks, onIndexDone, opts.signal));
        await timeStep('post-data', () =>
          restorePostData(tools, archive, pgConn(opts.target.url), builtObjectIds(indexTasks), jobs),
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
        const out = new Map<number, TableCheck>();
        await runPool(
          readers.map((r, i) => ({ r, w: writers[i]! })),
          order,
          async ({ r, w }, t) => {
            const m = new Set(masked(t));
            const src = sourceStats.get(t.oid) ?? (await measure(r, t, m, verify));
            const exists = (
              await w.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
                qualified(t.schema, t.name),
              ])
            ).rows[0]?.t;
            const dst = exists ? await measure(w, t, m, src.hash !== undefined ? 'hash' : 'count') : null;
            out.set(t.oid, judge(`${t.schema}.${t.name}`, src, dst, [...m]));
          },
          opts.signal,
        );
        return order.map((t) => out.get(t.oid)!).sort((a, b) => a.table.localeCompare(b.table));
      });
    }
    const differences = checks.filter((c) => !c.ok);
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
      ok: differences.length === 0,
      source: redactUrl(opts.source.url),
      target: redactUrl(opts.target.url),
      durationMs: Date.now() - started,
      steps,
      tables,
      indexes: indexTasks.length,
      sequences,
      checks,
      differences,
    };
  } catch (err) {
    if (touched) {
      await closeAll(writers);
      writers.length = 0;
      const wiped = await wipeDatabase(opts.target.url).then(
        () => true,
        () => false,
      );
      const e = err instanceof PgwardError ? err : undefined;
      throw new PgwardError(`clone failed: ${(err as Error).message}`, {
        ...(e ? { exitCode: e.exitCode, details: e.details } : {}),
        hint: wiped
          ? 'the target was emptied again, nothing half-copied remains; fix the cause and rerun'
          : 'the target could not be emptied: it holds a partial copy, rerun with --clean',
      });
    }
    throw err;
  } finally {
    await closeAll([...readers, ...writers]);
    await holder.query('ROLLBACK').catch(() => {});
    await holder.end().catch(() => {});
  }
}
