import { relative } from 'node:path';
import type { Command } from 'commander';
import { newMigration } from '../../migrate/scaffold.js';
import { action } from '../context.js';

export function registerNew(program: Command): void {
  program
    .command('new')
    .description('write <UTC timestamp>_<name>.sql with up and down sections')
    .argument('<name>', 'what the migration does, e.g. add_email_to_users')
    .action(
      action(async (ctx, name: string) => {
        const path = newMigration(ctx.migrations().dir, name);
        if (ctx.out.json) ctx.out.document({ ok: true, file: path });
        ctx.out.line(`created ${relative(process.cwd(), path)}`);
        return 0;
      }),
    );
}
