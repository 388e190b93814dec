// `pgward plan --env <name>`: the pending migrations of an environment, their findings and the gate
// decision for each. Read-only: it connects, reads history and catalog, and changes nothing.
import { type Command, Option } from 'commander';
import { action } from '../context.js';

export interface PlanFlags {
  pgVersion?: string;
  format: 'human' | 'json' | 'markdown';
  to?: string;
  allowDrift?: boolean;
  allowOutOfOrder?: boolean;
  retryPartial?: boolean;
  approve?: string;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      'pending migrations of an environment, their findings and gate decisions, as migrate would decide them (changes nothing)',
    )
    .option('--pg-version <version>', "target PostgreSQL version (default: the server's)")
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['human', 'json', 'markdown'])
        .default('human'),
    )
    .option('--to <version>', 'plan up to this version, like migrate --to')
    .option('--allow-drift', 'plan although applied files changed or disappeared, like migrate --allow-drift')
    .option('--allow-out-of-order', 'plan pending migrations older than the newest applied one')
    .option('--retry-partial', 'plan the rerun of no-transaction migrations that stopped part-way')
    .option('--approve <versions>', 'plan as if these blocked migrations were approved (records nothing)')
    .action(action(async (ctx, flags: PlanFlags) => (await import('./plan.run.js')).plan(ctx, flags)));
}
