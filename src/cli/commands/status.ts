// `pgward status`: applied, pending, drifted, missing and out-of-order migrations.
import type { Command } from 'commander';
import { action } from '../context.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'applied, pending, drifted, missing and out-of-order migrations (exit 0 / 3 pending / 4 attention)',
    )
    .action(action(async (ctx) => (await import('./status.run.js')).run(ctx)));
}
