// The human-readable report of `pgward import`: plan and counts, every problem, written rows, the proof.
import type { ImportResult } from '../../import/import.js';
import type { Context } from '../context.js';

export function printReport(ctx: Context, r: ImportResult): void {
  const { c } = ctx.out;
  ctx.out.line(`${r.dryRun ? 'plan' : 'import'}: ${r.source} → ${r.target}`);
  if (r.targetProblem)
    ctx.out.line(`${c.yellow('target not ready:')} ${r.targetProblem} (write it with --emit-migration)`);
  ctx.out.line(`${r.records} records, ${r.kinds} keys, ${r.invalid} invalid`);
  for (const p of r.problems) ctx.out.line(`  ${c.red('✗')} ${p.origin}: ${p.reason}`);
  if (r.moreProblems > 0)
    ctx.out.line(
      `  … and ${r.moreProblems} more problems (see --json, or the reject file with --skip-invalid)`,
    );
  if (r.rejectFile && r.invalid > 0) ctx.out.line(`invalid records written to ${r.rejectFile}`);
  if (r.status === 'invalid') {
    ctx.out.line(
      c.red(
        'nothing written: fix the records above, or pass --skip-invalid to import the rest (key collisions cannot be skipped)',
      ),
    );
    return;
  }
  if (r.status === 'dry-run') {
    ctx.out.line(`dry run: nothing written; ${r.records - r.invalid} records would be imported`);
    return;
  }
  const w = r.written;
  if (r.resumedAfter > 0)
    ctx.out.line(`resumed after ${r.resumedAfter} records committed by an interrupted run`);
  ctx.out.line(
    `written in ${w.batches} batches: ${w.inserted} inserted, ${w.updated} updated, ${w.unchanged} unchanged`,
  );
  const t = r.proof?.total;
  if (!t) return;
  if (r.proof?.match)
    ctx.out.line(
      `${c.green('proof:')} ${t.targetCount}/${t.sourceCount} rows match, content hash ${t.targetHash}`,
    );
  else {
    ctx.out.line(
      `${c.red('proof failed:')} source ${t.sourceCount} rows (${t.sourceHash}), target ${t.targetCount} (${t.targetHash})`,
    );
    for (const m of r.proof?.mismatches ?? [])
      ctx.out.line(`  ${m.kind}: ${m.targetCount === 0 ? 'missing in the target' : 'content differs'}`);
  }
}
