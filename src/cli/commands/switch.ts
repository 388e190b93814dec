// `pgward switch --env <name> --to <url | database id | environment>`: validate another database against
// the one the environment's app uses, then point the app at it (docs/switch.md).
import type { Command } from 'commander';
import { action } from '../context.js';

export interface SwitchFlags {
  to?: string;
  tablesHash?: boolean;
  keep?: string;
  yes?: boolean;
  readOnlySource?: boolean;
  resolve?: string;
}

export function registerSwitch(program: Command): void {
  program
    .command('switch')
    .description(
      "validate a new database against the environment's (counts, schema, sequences) and point the app at it; the old one is kept",
    )
    .option(
      '--to <url|id|env>',
      'the new database: a postgres:// URL, a platform database id (Render dpg-…) or an environment name (keeps the password off the command line)',
    )
    .option('--tables-hash', 'also compare an order-independent hash of every table’s rows')
    .option('--keep <duration>', 'keep the old database this long (default: deploy.keep_old_database, 7d)')
    .option('--yes', 'really switch (without it: validate only, change nothing)')
    .option(
      '--read-only-source',
      'set default_transaction_read_only on the old database before validating (new sessions cannot write there)',
    )
    .option(
      '--resolve <switched|abandoned>',
      'after an interrupted switch: record where the app really is (look at the platform first)',
    )
    .action(action(async (ctx, flags: SwitchFlags) => (await import('./switch.run.js')).run(ctx, flags)));
}
