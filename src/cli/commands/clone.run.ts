// Implementation of `pgward clone`: resolves both ends and the masking rules, shows per-table progress
// on a TTY (rows, bytes, ETA), prints a summary or one JSON document, exits 10 when validation fails.

import { type CloneEvent, type CloneResult, clone } from '../../clone/clone.js';
import { addCliMasks, maskingFor } from '../../clone/config.js';
import { resolveEndpoint } from '../../clone/endpoint.js';
import { describeMark } from '../../clone/state.js';
import { ExitCode, UsageError } from '../../errors.js';
import { formatBytes, formatDuration, SECONDS } from '../../format/units.js';
import type { Context } from '../context.js';
import { type Output, table } from '../output.js';
import { abortOnSignals } from '../signals.js';
import type { CloneFlags } from './clone.js';

// Clone sizes start at KiB with a decimal: small tables still show that something moved.
export const size = (bytes: number): string => formatBytes(bytes, { smallest: 'KiB', digits: { KiB: 1 } });

/** A one-line live view on stderr (TTY only): tables in flight, bytes so far, rate and ETA. */
export function progressRenderer(out: Output): (e: CloneEvent) => void {
  const tty = process.stderr.isTTY === true && !out.quiet && !out.json;
  let total = 0;
  let done = 0;
  let tablesDone = 0;
  let tables = 0;
  const started = Date.now();
  const inFlight = new Map<string, number>();
  let last = 0;
  const clear = () => tty && process.stderr.write('\r\u001b[K');
  const draw = () => {
    if (!tty || Date.now() - last < 200) return;
    last = Date.now();
    const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
    const eta = rate > 0 && total > done ? `ETA ${Math.round((total - done) / rate)}s` : '';
    const names = [...inFlight.keys()].slice(0, 3).join(', ');
    clear();
    process.stderr.write(
      `copying ${tablesDone}/${tables} tables · ${size(done)} · ${size(rate)}/s ${eta} · ${names}`.slice(
        0,
        (process.stderr.columns ?? 120) - 1,
      ),
    );
  };
  return (e) => {
    if (e.type === 'plan') {
      total = e.bytes;
      tables = e.tables;
      out.info(
        `${e.tables} tables, about ${size(e.bytes)} on disk${e.masked ? `, ${e.masked} masked columns` : ''}`,
      );
    } else if (e.type === 'notice') out.info(`· ${e.detail}`);
    else if (e.type === 'step') {
      clear();
      out.info(`· ${e.step}`);
    } else if (e.type === 'table-start') inFlight.set(e.table, 0);
    else if (e.type === 'bytes') {
      done += e.bytes;
      draw();
    } else if (e.type === 'table-done') {
      inFlight.delete(e.table);
      tablesDone++;
      if (tty) {
        clear();
        out.info(`  ${e.table}: ${e.rows} rows, ${size(e.bytes)} in ${formatDuration(e.ms, SECONDS)}`);
        draw();
      }
    }
  };
}

/** `--split-tables-larger-than`: 0, or a size such as 500MB, 1GB, 64kB (units of 1024). */
function parseSize(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?\s*$/i.exec(v);
  if (!m)
    throw new UsageError(
      `--split-tables-larger-than ${v}: not a size`,
      'e.g. 128MB or 1GB; 0 copies every table with one job',
    );
  const unit = (m[2] ?? 'B').toUpperCase()[0]!;
  const pow = { B: 0, K: 1, M: 2, G: 3, T: 4 }[unit] ?? 0;
  return Math.round(Number(m[1]) * 1024 ** pow);
}

export async function run(ctx: Context, flags: CloneFlags): Promise<number> {
  if (flags.via === 'neon') return (await import('./clone.run.neon.js')).runNeon(ctx, flags);
  const jobs = Number(flags.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
    throw new UsageError(`--jobs ${flags.jobs}: a whole number from 1 to 64`);
  const split =
    flags.splitTablesLargerThan === undefined ? undefined : parseSize(flags.splitTablesLargerThan);
  const [source, target] = await Promise.all([
    resolveEndpoint(ctx.config, flags.from),
    resolveEndpoint(ctx.config, flags.to),
  ]);
  const masking = addCliMasks(maskingFor(ctx.config, source.env, target.env), flags.mask ?? []);
  const sig = abortOnSignals();
  let result: CloneResult;
  try {
    ctx.out.info(
      `${flags.compareOnly ? 'comparing' : 'cloning'} ${source.env ?? 'source'} → ${target.env ?? 'target'}`,
    );
    result = await clone({
      source,
      target,
      clean: flags.clean === true,
      schemaOnly: flags.schemaOnly === true,
      compareOnly: flags.compareOnly === true,
      filter: {
        include: flags.table ?? [],
        exclude: flags.excludeTable ?? [],
        excludeData: flags.excludeTableData ?? [],
      },
      jobs,
      ...(split === undefined ? {} : { splitTablesLargerThan: split }),
      masking,
      verify: flags.verify,
      signal: sig.signal,
      onEvent: progressRenderer(ctx.out),
    });
  } finally {
    sig.dispose();
  }
  const interrupted = sig.exitCode();
  if (interrupted) return interrupted;
  if (ctx.out.json) ctx.out.document(result);
  else printSummary(ctx.out, result, flags.compareOnly === true);
  if (result.targetIncomplete)
    ctx.out.error(
      `the target is not a finished clone: it holds ${describeMark(result.targetIncomplete)}`,
      'rerun the clone with --clean',
    );
  if (!result.ok && result.differences.length) {
    ctx.out.error(
      `validation failed: ${result.differences.length} table${result.differences.length === 1 ? '' : 's'} differ${result.differences.length === 1 ? 's' : ''}`,
      flags.compareOnly
        ? undefined
        : 'the target was left in place for inspection, marked as an incomplete clone; rerun with --clean once the cause is fixed',
      result.differences.map((d) => `${d.table}: ${d.problem}`),
    );
    return ExitCode.validationFailed;
  }
  return result.ok ? 0 : ExitCode.validationFailed;
}

function printSummary(out: Output, r: CloneResult, compareOnly: boolean): void {
  const { c } = out;
  if (!compareOnly && r.tables.length) {
    const rows = r.tables.map((t) => [
      t.table,
      t.dataCopied ? String(t.rows) : c.dim('no data'),
      size(t.bytes),
      formatDuration(t.ms, SECONDS),
      t.masked.join(', '),
    ]);
    out.line(table(['table', 'rows', 'bytes', 'time', 'masked'], rows));
  }
  const checked = r.checks.length;
  const steps = Object.entries(r.steps)
    .map(([k, v]) => `${k} ${formatDuration(v ?? 0, SECONDS)}`)
    .join(' · ');
  out.line(
    `${r.ok ? c.green('ok') : c.red('FAILED')}: ${compareOnly ? 'compared' : 'cloned'} ${r.source} → ${r.target} in ${formatDuration(r.durationMs, SECONDS)}` +
      (compareOnly
        ? ''
        : ` (${r.tables.length} tables, ${r.indexes} indexes built in parallel, ${r.sequences} sequences)`),
  );
  if (steps) out.line(c.dim(steps));
  if (checked)
    out.line(
      `validation (${r.checks.some((x) => x.sourceHash !== undefined) ? 'counts and hashes' : 'row counts'}): ${checked - r.differences.length}/${checked} tables match`,
    );
}
