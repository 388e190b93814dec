import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { formatDuration, MS } from '../../format/units.js';
import { describeSummary } from '../../identity/describe.js';
import type { RollbackEvent, RollbackResult } from '../../migrate/rollback.js';
import { action } from '../context.js';
import type { Output } from '../output.js';
import { abortOnSignals } from '../signals.js';
import {
  askApproval,
  lockWaitMs,
  parseApprove,
  printBlocked,
  printFailure,
  printSharedEvent,
} from './migrate.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('run down sections of the newest applied migrations, newest first (gated like migrate)')
    .option('--steps <n>', 'how many migrations to roll back (default 1)')
    .option('--to <version>', 'roll back every migration newer than this version (0 = all)')
    .option('--dry-run', 'list what would be rolled back and the gate decisions; change nothing')
    .option('--allow-drift', 'roll back even though the file changed since it was applied')
    .option(
      '--retry-partial',
      'rerun a no-transaction down section that stopped part-way, from its first statement',
    )
    .option(
      '--approve <versions>',
      'approve rolling back these blocked migrations (comma-separated versions); bound to the files as they are now',
    )
    .option('--lock-wait <duration>', 'how long to wait for another run holding the lock', '60s')
    .action(
      action(async (ctx, flags: Record<string, string | boolean | undefined>) => {
        let steps: number | undefined;
        if (flags.steps !== undefined) {
          steps = Number(flags.steps);
          if (!Number.isInteger(steps) || steps < 1)
            throw new UsageError('--steps must be a positive integer');
        }
        const approve = parseApprove(flags.approve as string | undefined);
        const signals = abortOnSignals();
        try {
          const { rollback } = await import('../../migrate/rollback.js');
          const r = await rollback({
            target: ctx.target(),
            config: ctx.config,
            source: ctx.migrations(),
            steps,
            to: flags.to as string | undefined,
            dryRun: flags.dryRun === true,
            allowDrift: flags.allowDrift === true,
            retryPartial: flags.retryPartial === true,
            lockWaitMs: lockWaitMs(flags.lockWait as string | undefined),
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
      }),
    );
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
