// `pgward promote --from <env> --to <env> [--check]`: deploy what runs on one environment to the next,
// only when the first is healthy, applied exactly the migrations the second will have, and its latest
// rehearsal or restore drill passed (docs/switch.md#promote).
import type { Command } from 'commander';
import { action } from '../context.js';

export interface PromoteFlags {
  from: string;
  to: string;
  check?: boolean;
  /** Passed to the target's deploy (as `pgward deploy`'s flags). */
  approve?: string;
  commit?: string;
  image?: string;
}

export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description(
      'check that an environment (staging) is healthy, migrated like the next (production) will be and proven by a rehearsal or drill; then deploy the next',
    )
    .requiredOption('--from <env>', 'the environment whose state is promoted (e.g. staging)')
    .requiredOption('--to <env>', 'the environment deployed (e.g. production)')
    .option('--check', 'only run the checks and report (exit 6 when one fails)')
    .option(
      '--commit <sha>',
      'the commit to deploy to --to (the one staging runs; default: the platform default)',
    )
    .option('--image <ref>', 'the image to deploy to --to (platforms deploying images)')
    .option(
      '--approve <versions>',
      "approve these blocked migrations in --to's deploy (comma-separated versions)",
    )
    .action(action(async (ctx, flags: PromoteFlags) => (await import('./promote.run.js')).run(ctx, flags)));
}
