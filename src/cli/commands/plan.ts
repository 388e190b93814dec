// `pgward plan --env <name>`: the pending migrations of an environment, their findings and the gate
// decision for each. Read-only: it connects, reads history and catalog, and changes nothing.
import { type Command, Option } from 'commander';
import { action } from '../context.js';

export interface PlanFlags {
  pgVersion?: string;
  format: 'human' | 'json' | 'markdown';
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('pending migrations of an environment, their findings and gate decisions (changes nothing)')
    .option('--pg-version <version>', "target PostgreSQL version (default: the server's)")
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['human', 'json', 'markdown'])
        .default('human'),
    )
    .action(action(async (ctx, flags: PlanFlags) => (await import('./plan.run.js')).plan(ctx, flags)));
}
