// `pgward recover --via neon --at <time>`: a thin adapter over src/platform/neon/recover.ts.
import { backupSettings } from '../../backup/config.js';
import { openStorage } from '../../backup/storage.js';
import { UsageError } from '../../errors.js';
import { recoverViaNeon } from '../../platform/neon/recover.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import { neonEnv } from './neon.shared.js';
import type { RecoverFlags } from './recover.js';
import { parseAt, printRecovery } from './recover.run.render.js';
import { selectedEnv } from './render.shared.js';

export async function runNeon(ctx: Context, flags: RecoverFlags): Promise<number> {
  const other = (['backup', 'drill', 'server', 'jobs'] as const).find((f) => flags[f] !== undefined);
  if (other) throw new UsageError(`--${other} is for a backup recovery, not --via neon`);
  const at = parseAt(flags.at, 'neon');
  const envName = selectedEnv(ctx);
  const neon = neonEnv(ctx, envName);
  const s = backupSettings(ctx.config, flags.storage);
  const storage = await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 });
  const sig = abortOnSignals();
  const r = await recoverViaNeon({
    neon,
    at,
    env: envName,
    storage,
    validate: flags.validate !== false,
    signal: sig.signal,
    onStep: (step, detail) => ctx.out.info(`· ${step} ${detail}`),
  }).finally(sig.dispose);
  const { c } = ctx.out;
  return printRecovery(
    ctx,
    r,
    `${c.green('recovered')} ${r.source} of Neon project ${r.project} at ${r.at} into new branch ${c.bold(r.branch.name)} (${r.branch.id})`,
  );
}
