import type { Command } from 'commander';
import { initProject } from '../../migrate/scaffold.js';
import { action } from '../context.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented pgward.yaml and the db/migrations folder in the current directory')
    .action(
      action(async (ctx) => {
        const r = initProject(process.cwd());
        if (ctx.out.json) ctx.out.document({ ok: true, ...r });
        ctx.out.line(`created ${r.config}`);
        ctx.out.line(`created ${r.migrations}/`);
        ctx.out.line('next: pgward new create_users, then pgward status');
        return 0;
      }),
    );
}
