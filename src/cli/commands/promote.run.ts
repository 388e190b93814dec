// Implementation of `pgward promote`: both environments from pgward.yaml, the checks, the report (one line
// per failed reason), exit 6 when a check fails; without --check, the target's deploy afterwards.

import { resolveTarget } from '../../config/target.js';
import { type PromoteReport, promoteChecks } from '../../deploy/promote.js';
import { ExitCode, PgwardError, UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import type { PromoteFlags } from './promote.js';
import { runPromotedDeploy } from './promote.run.deploy.js';

function envTarget(ctx: Context, flag: string, env: string) {
  if (!ctx.config?.raw.environments?.[env])
    throw new UsageError(
      `${flag} ${env}: no such environment in pgward.yaml`,
      'promote takes environment names',
    );
  return resolveTarget({ config: ctx.config, env });
}

export async function run(ctx: Context, flags: PromoteFlags): Promise<number> {
  const from = envTarget(ctx, '--from', flags.from);
  const to = envTarget(ctx, '--to', flags.to);
  if (flags.from === flags.to) throw new UsageError('--from and --to name the same environment');
  const sig = abortOnSignals();
  const report = await promoteChecks({
    from,
    to,
    source: ctx.migrations(),
    config: ctx.config,
    signal: sig.signal,
    onStep: (s, d) => ctx.out.info(`· ${s}${d ? ` ${d}` : ''}`),
  }).finally(sig.dispose);
  if (!report.ok) {
    const err = refusal(report);
    if (!ctx.out.json) throw err;
    // JSON: the whole report (every check, its reasons), with the refusal as the error.
    ctx.out.error(err.message, err.hint, err.details);
    ctx.out.document({
      ...report,
      error: { message: err.message, details: err.details, exitCode: err.exitCode },
    });
    return err.exitCode;
  }
  if (flags.check) {
    if (ctx.out.json) ctx.out.document(report);
    else print(ctx, report);
    return ExitCode.ok;
  }
  if (!ctx.out.json) print(ctx, report);
  return runPromotedDeploy(ctx, flags.to, flags);
}

function refusal(r: PromoteReport): PgwardError {
  const reasons = r.checks.flatMap((c) => c.reasons);
  return new PgwardError(`refusing to promote ${r.from} to ${r.to}: ${reasons.length} reason(s)`, {
    exitCode: ExitCode.gateBlocked,
    details: reasons,
    hint: 'fix each reason on the listed environment, then run pgward promote --check again',
  });
}

function print(ctx: Context, r: PromoteReport): void {
  const { c } = ctx.out;
  for (const k of r.checks) ctx.out.line(`${c.green('ok')} ${k.summary}`);
  ctx.out.line(
    `${c.green('promotable')}: ${r.from} → ${r.to}${r.pending.length ? `; ${r.to} will apply ${r.pending.join(', ')}` : `; no migrations pending on ${r.to}`}`,
  );
}
