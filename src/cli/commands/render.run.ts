// The action of `pgward render setup`: a thin adapter over src/platform/render/setup.ts.
import { UsageError } from '../../errors.js';
import { renderSetup } from '../../platform/render/setup.js';
import type { Context } from '../context.js';
import type { RenderSetupFlags } from './render.js';
import { renderEnv } from './render.shared.js';

export async function run(ctx: Context, flags: RenderSetupFlags): Promise<number> {
  const { envName, config, client } = renderEnv(ctx, flags.service ? [flags.service] : undefined);
  const serviceId = flags.service ?? config?.services[0];
  if (!serviceId) throw new UsageError('no Render service given', 'pass --service srv-…');
  if (!/^srv-[a-z0-9]+$/.test(serviceId))
    throw new UsageError(
      `--service ${serviceId} is not a Render service id`,
      'e.g. --service srv-d0fq3k2dbo4c73b1a2c0',
    );
  const preDeploy = flags.preDeploy ?? `npx pgward migrate${envName ? ` --env ${envName}` : ''}`;
  const r = await renderSetup(client, {
    serviceId,
    preDeploy,
    ...(flags.healthPath ? { healthPath: flags.healthPath } : {}),
    ...(flags.dryRun ? { dryRun: true } : {}),
  });
  if (ctx.out.json) {
    ctx.out.document({ ok: true, dryRun: flags.dryRun === true, ...r });
    return 0;
  }
  const { c } = ctx.out;
  ctx.out.line(
    `${c.bold(r.serviceName)} ${c.dim(`${r.serviceId} · ${r.type} · ${r.plan ?? 'plan unknown'}`)}`,
  );
  if (r.changes.length === 0) ctx.out.line(c.green('already set up: nothing to change'));
  for (const ch of r.changes)
    ctx.out.line(`${flags.dryRun ? 'would set' : 'set'} ${ch.field}: ${ch.from ?? '(none)'} → ${ch.to}`);
  ctx.out.line();
  ctx.out.line(c.dim('# render.yaml'));
  ctx.out.line(r.renderYaml.trimEnd());
  return 0;
}
