import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { action } from '../context.js';
import { lockWaitMs } from './migrate.js';

export function registerBaseline(program: Command): void {
  program
    .command('baseline')
    .description('adopt an existing database: record migrations as applied without running them')
    .option('--to <version>', 'record every migration file up to this version')
    .option('--import <framework>', 'record exactly what that framework applied (supported: dbmate)')
    .option('--lock-wait <duration>', 'how long to wait for another run holding the lock', '60s')
    .action(
      action(async (ctx, flags: Record<string, string | undefined>) => {
        if (flags.import !== undefined && flags.import !== 'dbmate') {
          throw new UsageError(`--import ${flags.import}: only dbmate shares pgward's file format`);
        }
        const { baseline } = await import('../../migrate/baseline.js');
        const r = await baseline({
          target: ctx.target(),
          config: ctx.config,
          source: ctx.migrations(),
          to: flags.to,
          importFrom: flags.import as 'dbmate' | undefined,
          lockWaitMs: lockWaitMs(flags.lockWait),
        });
        if (ctx.out.json) ctx.out.document({ ok: true, ...r });
        for (const m of r.recorded) ctx.out.line(`recorded ${m.version}_${m.name} as applied`);
        ctx.out.line(`${r.recorded.length} migration(s) recorded without running them`);
        return 0;
      }),
    );
}
