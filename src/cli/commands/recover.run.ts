// Implementation of `pgward recover`: picks storage and server, prints the new database's URL
// (password masked) and the exact next step, or one JSON document.

import { backupSettings } from '../../backup/config.js';
import { openStorage } from '../../backup/storage.js';
import { UsageError } from '../../errors.js';
import { formatDuration, SECONDS } from '../../format/units.js';
import { recover } from '../../recover/recover.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import type { RecoverFlags } from './recover.js';

export async function run(ctx: Context, flags: RecoverFlags): Promise<number> {
  if (flags.via === 'neon') return (await import('./recover.run.neon.js')).runNeon(ctx, flags);
  if (flags.switch || flags.keep !== undefined)
    throw new UsageError(
      `--${flags.switch ? 'switch' : 'keep'} is for --via neon`,
      'after this recovery, point the app at the new database with pgward switch',
    );
  if (flags.via === 'render-pitr') return (await import('./recover.run.render.js')).runRenderPitr(ctx, flags);
  if (flags.at)
    throw new UsageError('--at is for --via render-pitr', 'a backup recovery takes --backup <id>');
  const target = ctx.target();
  const settings = backupSettings(ctx.config, flags.storage);
  const storage = await openStorage(settings.storageUrl, { baseDir: settings.baseDir, s3: settings.s3 });
  let jobs = settings.restoreJobs;
  if (flags.jobs !== undefined) {
    jobs = Number(flags.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
      throw new UsageError(`--jobs ${flags.jobs}: a whole number from 1 to 64`);
  }
  if (flags.server && !/^postgres(ql)?:\/\//i.test(flags.server))
    throw new UsageError('--server must be a postgres:// URL');
  const sig = abortOnSignals();
  const r = await recover({
    storage,
    env: target.env,
    envUrl: target.url,
    config: ctx.config,
    serverUrl: flags.server,
    backup: flags.backup,
    drill: flags.drill === true,
    jobs,
    noOwner: flags.owner === false,
    signal: sig.signal,
    onStep: (s, d) => ctx.out.info(`· ${s}${d ? ` ${d}` : ''}`),
  }).finally(sig.dispose);
  for (const s of r.skipped) ctx.out.warn(`passed over backup ${s.id}: ${s.reason}`);
  if (ctx.out.json) {
    ctx.out.document(r);
    return 0;
  }
  const { c } = ctx.out;
  ctx.out.line(
    `${c.green('recovered')} backup ${r.backup.id} (taken ${r.backup.startedAt}) into ${c.bold(r.database)} in ${formatDuration(r.durationMs, SECONDS)}: ${r.tables} tables, ${r.rows} rows, counts match the manifest`,
  );
  if (r.drill) ctx.out.line(`drill: ${r.database} dropped; recovery time recorded in the catalog`);
  else ctx.out.line(`new database: ${r.url}`);
  for (const s of r.nextSteps) ctx.out.line(`next: ${s}`);
  return 0;
}
