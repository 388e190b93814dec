// Implementation of `pgward doctor`.
import { ExitCode } from '../../errors.js';
import { runDoctor } from '../../monitor/doctor.js';
import { formatReport } from '../../monitor/format.js';
import type { Context } from '../context.js';
import type { DoctorFlags } from './doctor.js';

export async function doctor(ctx: Context, flags: DoctorFlags): Promise<number> {
  const target = ctx.target();
  let source: ReturnType<Context['migrations']> | undefined;
  try {
    source = ctx.migrations();
  } catch {
    source = undefined;
  }
  const report = await runDoctor({ target, source, config: ctx.config, backups: flags.backups !== false });
  if (ctx.out.json) ctx.out.document(report);
  else
    for (const line of formatReport(report, ctx.out.c, flags.verbose === true || ctx.verbose))
      ctx.out.line(line);
  const failing = report.status === 'fail' || (flags.failOn === 'warn' && report.status === 'warn');
  return failing ? ExitCode.checksFailed : ExitCode.ok;
}
