// `pgward baseline`: adopt an existing database by recording migrations as applied without running them.
import type { Command } from 'commander';
import { action } from '../context.js';

export interface BaselineFlags {
  to?: string;
  import?: string;
  lockWait?: string;
}

export function registerBaseline(program: Command): void {
  program
    .command('baseline')
    .description('adopt an existing database: record migrations as applied without running them')
    .option('--to <version>', 'record every migration file up to this version')
    .option('--import <framework>', 'record exactly what that framework applied (supported: dbmate)')
    .option('--lock-wait <duration>', 'how long to wait for another run holding the lock', '60s')
    .action(action(async (ctx, flags: BaselineFlags) => (await import('./baseline.run.js')).run(ctx, flags)));
}
