// The action of `pgward rollback`: a thin adapter over src/migrate/rollback that prints events and the
// outcome (or one JSON document).
import { UsageError } from '../../errors.js';
import { formatDuration, MS } from '../../format/units.js';
import { describeSummary } from '../../identity/describe.js';
import type { RollbackEvent, RollbackResult } from '../../migrate/rollback.js';
import type { Context } from '../context.js';
import type { Output } from '../output.js';
import { abortOnSignals } from '../signals.js';
import {
  askApproval,
  lockWaitMs,
  parseApprove,
  printBlocked,
  printFailure,
  printSharedEvent,
} from './migrate.shared.js';
import type { RollbackFlags } from './rollback.js';

export async function run(ctx: Context, flags: RollbackFlags): Promise<number> {
  let steps: number | undefined;
  if (flags.steps !== undefined) {
    steps = Number(flags.steps);
    if (!Number.isInteger(steps) || steps < 1) throw new UsageError('--steps must be a positive integer');
  }
  const approve = parseApprove(flags.approve);
  const signals = abortOnSignals();
  try {
    const { rollback } = await import('../../migrate/rollback.js');
    const r = await rollback({
      target: ctx.target(),
      config: ctx.config,
      source: ctx.migrations(),
      steps,
      to: flags.to,
      dryRun: flags.dryRun === true,
      allowDrift: flags.allowDrift === true,
      retryPartial: flags.retryPartial === true,
      lockWaitMs: lockWaitMs(flags.lockWait),
      signal: signals.signal,
      onEvent: (e) => printEvent(ctx.out, e),
      approve,
      askApproval: process.stdin.isTTY && !ctx.out.json ? (b) => askApproval(ctx.out, b) : undefined,
    });
    if (ctx.out.json) ctx.out.document({ ok: r.exitCode === 0, ...r });
    else {
      const scope = `${steps !== undefined ? ` --steps ${steps}` : ''}${flags.to !== undefined ? ` --to ${flags.to}` : ''}`;
      printResult(ctx.out, r, `rollback${scope}`);
    }
    return signals.exitCode() ?? r.exitCode;
  } finally {
    signals.dispose();
  }
}

function printEvent(out: Output, e: RollbackEvent): void {
  if (printSharedEvent(out, e, false, 'rolling back')) return;
  if (e.type === 'start') out.info(`${out.c.cyan('←')} ${e.version}_${e.name}`);
  if (e.type === 'rolled-back')
    out.info(`  ${out.c.green('✓')} rolled back in ${formatDuration(e.durationMs, MS)}`);
}

/** `command`: how it was invoked (rollback --steps 2 …), for the exact --approve command to print. */
function printResult(out: Output, r: RollbackResult, command: string): void {
  if (r.dryRun) {
    if (!r.planned.length) out.line('nothing to roll back');
    for (const p of r.planned) out.line(`would roll back ${p.version}_${p.name}`);
  }
  if (r.blocked.length)
    printBlocked(
      out,
      r.blocked,
      r.env,
      command,
      r.dryRun,
      r.identity ? describeSummary(r.identity) : undefined,
    );
  else if (r.failure) printFailure(out, r.failure, 'down');
  else if (!r.dryRun)
    out.line(
      r.rolledBack.length ? `rolled back ${r.rolledBack.length} migration(s)` : 'nothing to roll back',
    );
}
