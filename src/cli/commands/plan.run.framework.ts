// `pgward plan` in a project whose migrations another framework runs: each pending migration, what its
// static reading found, what it could not see, and the gate's decision (exit 6 when it would refuse).
import type { FrameworkGate } from '../../migrate/framework-gate.js';
import type { Context } from '../context.js';
import type { Output } from '../output.js';
import type { PlanFlags } from './plan.js';

export async function planFrameworkCommand(ctx: Context, flags: PlanFlags): Promise<number> {
  const { planFramework } = await import('../../migrate/framework-plan.js');
  const plan = await planFramework({
    target: ctx.target(),
    source: ctx.migrations(),
    config: ctx.config,
    pgVersion: flags.pgVersion,
    approve: flags.approve
      ?.split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  });
  if (ctx.out.json) ctx.out.document({ ok: plan.exitCode === 0, ...plan });
  else {
    const { c } = ctx.out;
    ctx.out.line(
      `${plan.framework}: ${plan.gates.length} pending on ${plan.env ?? plan.database}${plan.gates.length ? '' : ' — nothing to apply'}`,
    );
    for (const g of plan.gates) printGate(ctx.out, g);
    if (plan.blocked.length)
      ctx.out.line(
        c.red(
          `migrate would refuse ${plan.blocked.join(', ')}; after review: pgward migrate${plan.env ? ` --env ${plan.env}` : ''} --approve ${plan.blocked.join(',')}`,
        ),
      );
  }
  return plan.exitCode;
}

export function printGate(out: Output, g: FrameworkGate): void {
  const { c } = out;
  const mark =
    g.decision === 'blocked' ? c.red('✗ blocked') : g.decision === 'warn' ? c.yellow('! warn') : c.green('✓');
  const model = g.wrapped === undefined ? '' : g.wrapped ? ' (one transaction)' : ' (no transaction)';
  out.line(`${mark} ${g.version} ${g.name}${c.dim(model)}${g.approved ? c.dim(' approved') : ''}`);
  for (const f of g.findings)
    out.line(
      `    ${f.severity === 'error' ? c.red(f.rule) : c.yellow(f.rule)} ${f.message}${f.relation ? c.dim(` (${f.relation})`) : ''}`,
    );
  for (const n of g.notes) out.line(`    ${c.dim(`note: ${n}`)}`);
}
