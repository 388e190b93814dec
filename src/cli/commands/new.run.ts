// The action of `pgward new`: a thin adapter over src/migrate/scaffold.
import { relative } from 'node:path';
import { UsageError } from '../../errors.js';
import { newMigration } from '../../migrate/scaffold.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, name: string): Promise<number> {
  const source = ctx.migrations();
  if (source.layout && source.framework !== 'pgward' && source.framework !== 'dbmate') {
    throw new UsageError(
      `pgward new writes pgward migrations, but this project's migrations are ${source.framework}'s (${source.layout.evidence})`,
      `write them with ${source.framework}; to keep pgward migrations beside them, pass --dir db/migrations (or set migrations.dir)`,
    );
  }
  const path = newMigration(source.dir, name);
  if (ctx.out.json) ctx.out.document({ ok: true, file: path });
  ctx.out.line(`created ${relative(process.cwd(), path)}`);
  return 0;
}
