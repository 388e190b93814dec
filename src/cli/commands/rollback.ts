import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { action } from '../context.js';
import { abortOnSignals } from '../signals.js';
import { lockWaitMs, printFailure } from './migrate.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('run down sections of the newest applied migrations, newest first')
    .option('--steps <n>', 'how many migrations to roll back (default 1)')
    .option('--to <version>', 'roll back every migration newer than this version (0 = all)')
    .option('--dry-run', 'list what would be rolled back; change nothing')
    .option('--allow-drift', 'roll back even though the file changed since it was applied')
    .option('--lock-wait <duration>', 'how long to wait for another run holding the lock', '60s')
    .action(
      action(async (ctx, flags: Record<string, string | boolean | undefined>) => {
        let steps: number | undefined;
        if (flags.steps !== undefined) {
          steps = Number(flags.steps);
          if (!Number.isInteger(steps) || steps < 1)
            throw new UsageError('--steps must be a positive integer');
        }
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
            lockWaitMs: lockWaitMs(flags.lockWait as string | undefined),
            signal: signals.signal,
            onEvent: (e) => {
              if (e.type === 'start') ctx.out.info(`${ctx.out.c.cyan('←')} ${e.version}_${e.name}`);
              if (e.type === 'rolled-back')
                ctx.out.info(`  ${ctx.out.c.green('✓')} rolled back in ${e.durationMs} ms`);
            },
          });
          if (ctx.out.json) ctx.out.document({ ok: r.exitCode === 0, ...r });
          else if (r.failure) printFailure(ctx.out, r.failure);
          else if (r.dryRun) {
            if (!r.planned.length) ctx.out.line('nothing to roll back');
            for (const p of r.planned) ctx.out.line(`would roll back ${p.version}_${p.name}`);
          } else
            ctx.out.line(
              r.rolledBack.length
                ? `rolled back ${r.rolledBack.length} migration(s)`
                : 'nothing to roll back',
            );
          return signals.exitCode() ?? r.exitCode;
        } finally {
          signals.dispose();
        }
      }),
    );
}
