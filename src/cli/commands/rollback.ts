// `pgward rollback`: run down sections of the newest applied migrations, gated like migrate.
import type { Command } from 'commander';
import { action } from '../context.js';

export interface RollbackFlags {
  steps?: string;
  to?: string;
  dryRun?: boolean;
  allowDrift?: boolean;
  retryPartial?: boolean;
  approve?: string;
  lockWait?: string;
}

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
    .action(action(async (ctx, flags: RollbackFlags) => (await import('./rollback.run.js')).run(ctx, flags)));
}
