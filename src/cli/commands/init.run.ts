// The action of `pgward init`: a thin adapter over src/migrate/scaffold.
import { initProject } from '../../migrate/scaffold.js';
import type { Context } from '../context.js';

export async function run(ctx: Context): Promise<number> {
  const r = initProject(process.cwd());
  if (ctx.out.json) ctx.out.document({ ok: true, ...r });
  ctx.out.line(`created ${r.config}`);
  ctx.out.line(`created ${r.migrations}/`);
  ctx.out.line('next: pgward new create_users, then pgward status');
  return 0;
}
