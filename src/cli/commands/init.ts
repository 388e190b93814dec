// `pgward init`: a commented pgward.yaml and the migrations folder in the current directory.
import type { Command } from 'commander';
import { action } from '../context.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented pgward.yaml and the db/migrations folder in the current directory')
    .action(action(async (ctx) => (await import('./init.run.js')).run(ctx)));
}
