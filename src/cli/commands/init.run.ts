// The action of `pgward init`: a thin adapter over src/migrate/scaffold.
import { relative } from 'node:path';
import { initProject } from '../../migrate/scaffold.js';
import type { Context } from '../context.js';

export async function run(ctx: Context): Promise<number> {
  const r = initProject(process.cwd());
  const shown = (p: string) => relative(process.cwd(), p) || '.';
  if (ctx.out.json) ctx.out.document({ ok: true, ...r });
  ctx.out.line(`created ${shown(r.config)}`);
  if (r.found) {
    ctx.out.line(`found ${r.found.framework} migrations in ${shown(r.found.dir)} (${r.found.evidence})`);
    ctx.out.line('next: pgward status');
    return 0;
  }
  ctx.out.line(`created ${shown(r.migrations)}/`);
  if (r.candidates.length > 0)
    ctx.out.warn(
      `found several migration setups (${r.candidates.map((l) => `${l.framework} in ${shown(l.dir)}`).join(', ')}): set migrations.dir and migrations.framework in pgward.yaml`,
    );
  ctx.out.line('next: pgward new create_users, then pgward status');
  return 0;
}
