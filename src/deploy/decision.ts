// The database policy after the code was rolled back (issue 12, item 5): when every migration of the
// deploy was backward compatible, the schema stays (the previous code runs against it). Otherwise
// nothing is done to the database here: the report names the migrations that are not compatible, how
// many writes happened since the deploy (they would be lost or altered), and the exact approved command.

import type { DatabaseDecision, PipelineContext } from './types.js';
import { writesSince } from './writes.js';

export function rollbackCommands(ctx: Pick<PipelineContext, 'rec' | 'settings'>): string[] {
  const { rec, settings } = ctx;
  const cmd = (how: string) =>
    `pgward deploy rollback ${rec.id} --env ${rec.env} --database ${how} --approve`;
  const ways = settings.rollbackDatabase === 'restore' ? ['restore', 'down'] : ['down', 'restore'];
  return ways.filter((w) => w === 'down' || rec.backupId !== null).map(cmd);
}

/** Decides (and notes on the rollback step) what happens to the database; never changes it. */
export async function databaseDecision(ctx: PipelineContext): Promise<DatabaseDecision> {
  const migrated = ctx.rec.steps.some((s) => s.name === 'migrate' && s.status === 'done');
  const incompatible = migrated ? ctx.rec.migrations.filter((m) => !m.compatible) : [];
  let decision: DatabaseDecision;
  if (!incompatible.length) {
    decision = { action: 'keep', incompatible: [], writesSince: null, commands: [] };
  } else {
    const writes = ctx.rec.writeBaseline ? await writesSince(ctx.client, ctx.rec.writeBaseline) : null;
    decision = {
      action: 'needs-approval',
      incompatible,
      writesSince: writes,
      commands: rollbackCommands(ctx),
    };
  }
  const step = ctx.rec.steps.find((s) => s.name === 'rollback');
  if (step && !step.detail.includes('; database:'))
    step.detail += `; database: ${describeDecision(decision, migrated)}`;
  return decision;
}

export function describeDecision(d: DatabaseDecision, migrated = true): string {
  if (d.action === 'keep')
    return migrated
      ? 'schema kept (every migration of the deploy is backward compatible)'
      : 'unchanged (no migration ran)';
  const which = d.incompatible.map((m) => `${m.version}_${m.name}`).join(', ');
  const w = d.writesSince;
  const writes = w
    ? `${w.lowerBound ? 'at least ' : ''}${w.total} write(s) since the deploy`
    : 'writes since the deploy unknown';
  return `unchanged, not backward compatible: ${which}; ${writes}; needs an explicit approval`;
}
