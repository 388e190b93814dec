// The action of `pgward baseline`: a thin adapter over src/migrate/baseline.
import { UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { BaselineFlags } from './baseline.js';
import { lockWaitMs } from './migrate.shared.js';

export async function run(ctx: Context, flags: BaselineFlags): Promise<number> {
  if (flags.import !== undefined && flags.import !== 'dbmate') {
    throw new UsageError(`--import ${flags.import}: only dbmate shares pgward's file format`);
  }
  const { baseline } = await import('../../migrate/baseline.js');
  const r = await baseline({
    target: ctx.target(),
    config: ctx.config,
    source: ctx.migrations(),
    to: flags.to,
    importFrom: flags.import,
    lockWaitMs: lockWaitMs(flags.lockWait),
  });
  if (ctx.out.json) ctx.out.document({ ok: true, ...r });
  for (const m of r.recorded) ctx.out.line(`recorded ${m.version}_${m.name} as applied`);
  ctx.out.line(`${r.recorded.length} migration(s) recorded without running them`);
  return 0;
}
