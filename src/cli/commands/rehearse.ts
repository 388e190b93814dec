// `pgward rehearse --env <name>`: run the pending migrations on a throwaway copy and report real timings and locks.
import { type Command, Option } from 'commander';
import { action } from '../context.js';

export interface RehearseFlags {
  server?: string;
  backup?: string;
  keep?: boolean;
  format: 'human' | 'markdown' | 'json';
  jobs?: string;
  record?: boolean;
  /** `neon`: the copy is a new Neon branch of the environment's branch (docs/neon.md). */
  via?: 'neon';
}

export function registerRehearse(program: Command): void {
  program
    .command('rehearse')
    .description(
      'run pending migrations on a throwaway copy of the environment: real durations, locks held, rewrites; budget verdict',
    )
    .option('--server <url>', 'server for the scratch copy (overrides rehearsal.server)')
    .option(
      '--backup <id>',
      'restore this backup instead of cloning (latest verified: rehearsal.source: backup)',
    )
    .option('--keep', 'keep the copy afterwards and print its URL')
    .addOption(
      new Option(
        '--via <method>',
        "make the copy on the platform: a Neon branch of the environment's branch",
      ).choices(['neon']),
    )
    .option('-j, --jobs <n>', 'parallel jobs for the copy (overrides rehearsal.jobs)')
    .option(
      '--record',
      "record the verdict in the environment's pgward.rehearsals table (what `pgward promote` reads); the only write to the environment",
    )
    .addOption(
      new Option('--format <format>', 'report format')
        .choices(['human', 'markdown', 'json'])
        .default('human'),
    )
    .action(action(async (ctx, flags: RehearseFlags) => (await import('./rehearse.run.js')).run(ctx, flags)));
}
