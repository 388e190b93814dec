// The action of `pgward new`: a thin adapter over src/migrate/scaffold.
import { relative } from 'node:path';
import { newMigration } from '../../migrate/scaffold.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, name: string): Promise<number> {
  const path = newMigration(ctx.migrations().dir, name);
  if (ctx.out.json) ctx.out.document({ ok: true, file: path });
  ctx.out.line(`created ${relative(process.cwd(), path)}`);
  return 0;
}
