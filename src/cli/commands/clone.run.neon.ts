// `pgward clone --from <env> --to <env> --via neon`: a thin adapter over src/clone/neon.ts.
import { addCliMasks, maskingFor } from '../../clone/config.js';
import { resolveEndpoint } from '../../clone/endpoint.js';
import { cloneViaNeon } from '../../clone/neon.js';
import { PgwardError, UsageError } from '../../errors.js';
import { formatDuration, SECONDS } from '../../format/units.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import type { CloneFlags } from './clone.js';
import { neonEnv } from './neon.shared.js';

function refuseFlags(flags: CloneFlags): void {
  const other = (
    [
      ['table', '--table'],
      ['excludeTable', '--exclude-table'],
      ['excludeTableData', '--exclude-table-data'],
      ['schemaOnly', '--schema-only'],
      ['clean', '--clean'],
      ['compareOnly', '--compare-only'],
    ] as const
  ).find(([k]) => flags[k] !== undefined);
  if (other)
    throw new UsageError(`${other[1]} is for a copy by COPY, not --via neon (a branch copies everything)`);
  for (const v of [flags.from, flags.to])
    if (/^postgres(ql)?:\/\//i.test(v))
      throw new UsageError(
        `--via neon takes environment names (with a neon: block), not URLs: ${v.replace(/\/\/.*@/, '//…@')}`,
      );
}

export async function runNeon(ctx: Context, flags: CloneFlags): Promise<number> {
  refuseFlags(flags);
  const [source, target] = await Promise.all([
    resolveEndpoint(ctx.config, flags.from),
    resolveEndpoint(ctx.config, flags.to),
  ]);
  if (target.protected)
    throw new PgwardError(`refusing to clone into protected environment ${flags.to}`, {
      hint: 'clones overwrite their target; pick a non-protected environment (protected: false in pgward.yaml)',
    });
  const masking = addCliMasks(maskingFor(ctx.config, source.env, target.env), flags.mask ?? []);
  const sig = abortOnSignals();
  const r = await cloneViaNeon({
    from: { env: flags.from, url: source.url, neon: neonEnv(ctx, flags.from) },
    to: { env: flags.to, neon: neonEnv(ctx, flags.to) },
    masking,
    signal: sig.signal,
    onStep: (step, detail) => ctx.out.info(`· ${step} ${detail}`),
  }).finally(sig.dispose);
  if (ctx.out.json) {
    ctx.out.document({ ok: true, ...r });
    return 0;
  }
  const { c } = ctx.out;
  ctx.out.line(
    `${c.green('ok')}: ${r.target}'s Neon branch ${r.targetBranch.name} is now a masked copy of ${r.source} (${formatDuration(r.durationMs, SECONDS)})`,
  );
  for (const t of r.masked) ctx.out.line(`  ${t.table}: ${t.rows} rows masked (${t.columns.join(', ')})`);
  ctx.out.line('validation: no masked column holds a value of the source');
  ctx.out.line(c.dim(`${r.target}'s previous state kept as branch ${r.preservedAs}`));
  return 0;
}
