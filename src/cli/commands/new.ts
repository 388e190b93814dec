// `pgward new <name>`: a timestamped migration file with up and down sections.
import type { Command } from 'commander';
import { action } from '../context.js';

export function registerNew(program: Command): void {
  program
    .command('new')
    .description('write <UTC timestamp>_<name>.sql with up and down sections')
    .argument('<name>', 'what the migration does, e.g. add_email_to_users')
    .action(action(async (ctx, name: string) => (await import('./new.run.js')).run(ctx, name)));
}
