// Implementation of `pgward jobs`.

import { JOB_NAMES } from '../../config/sections/doctor.js';
import { appName, withClient } from '../../db/connect.js';
import { ExitCode, UsageError } from '../../errors.js';
import { jobsTableExists, listJobs } from '../../serve/store.js';
import type { Context } from '../context.js';
import { table } from '../output.js';
import type { JobsFlags } from './jobs.js';

export async function jobs(ctx: Context, flags: JobsFlags): Promise<number> {
  if (!Number.isInteger(flags.limit) || flags.limit < 1)
    throw new UsageError('--limit must be a positive integer');
  if (flags.job && !(JOB_NAMES as readonly string[]).includes(flags.job))
    throw new UsageError(`unknown job "${flags.job}"`, `one of ${JOB_NAMES.join(', ')}`);
  const target = ctx.target();
  const env = target.env ?? 'default';
  const rows = await withClient(
    target.url,
    async (c) => ((await jobsTableExists(c)) ? listJobs(c, { env, job: flags.job, limit: flags.limit }) : []),
    { applicationName: appName('jobs') },
  );
  if (ctx.out.json) {
    ctx.out.document({ env, jobs: rows });
    return ExitCode.ok;
  }
  if (rows.length === 0) {
    ctx.out.line(
      `no job history for ${env} (jobs run under \`pgward serve\` with a schedule in pgward.yaml)`,
    );
    return ExitCode.ok;
  }
  const { c } = ctx.out;
  const when = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 19) : '');
  const mark = (o: string) =>
    o === 'ok' ? c.green(o) : o === 'failed' ? c.red(o) : o === 'running' ? c.yellow(o) : c.dim(o);
  ctx.out.line(
    table(
      ['JOB', 'SCHEDULED (UTC)', 'STARTED', 'FINISHED', 'OUTCOME', 'RUNNER', 'ERROR'],
      rows.map((r) => [
        r.job,
        when(r.scheduledFor),
        when(r.startedAt).slice(11),
        when(r.finishedAt).slice(11),
        mark(r.outcome),
        r.runner,
        r.error ?? '',
      ]),
    ),
  );
  return ExitCode.ok;
}
