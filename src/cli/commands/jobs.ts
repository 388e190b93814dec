// `pgward jobs --env <name>`: the history of the jobs `pgward serve` ran (from pgward.jobs).
import type { Command } from 'commander';
import { action } from '../context.js';

export interface JobsFlags {
  limit: number;
  job?: string;
}

export function registerJobs(program: Command): void {
  program
    .command('jobs')
    .description('history of scheduled jobs run by pgward serve: start, end, outcome, error')
    .option('--limit <n>', 'how many runs (newest first)', (v) => Number(v), 20)
    .option('--job <name>', 'only this job (backup, prune, verify, doctor)')
    .action(action(async (ctx, flags: JobsFlags) => (await import('./jobs.run.js')).jobs(ctx, flags)));
}
