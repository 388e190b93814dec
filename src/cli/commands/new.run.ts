// The action of `pgward new`: a thin adapter over src/migrate/scaffold.
import { relative } from 'node:path';
import { UsageError } from '../../errors.js';
import { newMigration } from '../../migrate/scaffold.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, name: string): Promise<number> {
  const source = ctx.migrations();
  if (!['auto', 'pgward', 'dbmate'].includes(source.framework)) {
    const why = source.layout ? ` (${source.layout.evidence})` : '';
    throw new UsageError(
      `pgward new writes pgward migrations, but this project's migrations are ${source.framework}'s${why}`,
      `write them with ${source.framework}; pgward migrations beside them need their own folder: --framework pgward --dir db/migrations`,
    );
  }
  const path = newMigration(source.dir, name);
  if (ctx.out.json) ctx.out.document({ ok: true, file: path });
  ctx.out.line(`created ${relative(process.cwd(), path)}`);
  return 0;
}
