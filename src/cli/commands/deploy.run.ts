// The actions of `pgward deploy …`: thin adapters over src/deploy. Progress on stderr as steps run; a
// report (or one JSON document) on stdout at the end.
import { UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import { abortOnSignals } from '../signals.js';
import type { DeployFlags, DeployRollbackFlags } from './deploy.js';
import { printDeployEvent, printDeployResult, printJournalEntry, printJournalList } from './deploy.shared.js';
import { lockWaitMs, parseApprove } from './migrate.shared.js';

function approveVersions(v: string | boolean | undefined): string[] | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true)
    throw new UsageError(
      '--approve needs the versions to approve',
      'e.g. pgward deploy --env production --approve 20260101120000',
    );
  return parseApprove(v);
}

/** `target`: another environment than --env's (promote deploys its --to environment). */
export async function runDeploy(ctx: Context, flags: DeployFlags, target = ctx.target()): Promise<number> {
  const approve = approveVersions(flags.approve);
  const signals = abortOnSignals();
  try {
    const { deploy } = await import('../../deploy/pipeline.js');
    const result = await deploy({
      target,
      source: ctx.migrations(),
      config: ctx.config,
      approve,
      commit: flags.commit,
      image: flags.image,
      adopt: flags.adopt,
      lockWaitMs: lockWaitMs(flags.lockWait),
      signal: signals.signal,
      onEvent: (e) => printDeployEvent(ctx.out, e),
    });
    if (ctx.out.json) ctx.out.document({ ok: result.exitCode === 0, ...result });
    else printDeployResult(ctx.out, result);
    return signals.exitCode() ?? result.exitCode;
  } finally {
    signals.dispose();
  }
}

export async function runDeployStatus(ctx: Context, id: string | undefined): Promise<number> {
  const { deployStatus } = await import('../../deploy/status.js');
  const d = await deployStatus({
    target: ctx.target(),
    source: ctx.migrations(),
    config: ctx.config,
    deployId: id,
  });
  if (ctx.out.json) ctx.out.document({ ok: true, deploy: d });
  else printJournalEntry(ctx.out, d);
  return 0;
}

export async function runDeployList(ctx: Context, limit: number): Promise<number> {
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const { listDeployJournal } = await import('../../deploy/status.js');
  const list = await listDeployJournal({
    target: ctx.target(),
    source: ctx.migrations(),
    config: ctx.config,
    limit,
  });
  if (ctx.out.json) ctx.out.document({ ok: true, deploys: list });
  else printJournalList(ctx.out, list);
  return 0;
}

export async function runDeployRollback(
  ctx: Context,
  id: string,
  flags: DeployRollbackFlags,
): Promise<number> {
  if (typeof flags.approve === 'string')
    throw new UsageError(
      'deploy rollback --approve takes no value: it approves changing the database for this deploy',
    );
  const signals = abortOnSignals();
  try {
    const { rollbackDeployDatabase } = await import('../../deploy/db-rollback.js');
    const r = await rollbackDeployDatabase({
      target: ctx.target(),
      source: ctx.migrations(),
      config: ctx.config,
      deployId: id,
      how: flags.database,
      approve: flags.approve === true,
      signal: signals.signal,
      onProgress: (line) => ctx.out.info(line),
    });
    if (ctx.out.json) ctx.out.document({ ok: r.exitCode === 0, ...r });
    else {
      const { c } = ctx.out;
      if (r.exitCode === 0)
        ctx.out.line(
          c.green(
            r.how === 'down'
              ? `rolled back ${r.rolledBack.join(', ')}`
              : `restored into ${r.restored?.database}`,
          ),
        );
      else ctx.out.error(`deploy ${id}: the database rollback did not complete (exit ${r.exitCode})`);
      for (const s of r.nextSteps) ctx.out.line(`next: ${s}`);
    }
    return signals.exitCode() ?? r.exitCode;
  } finally {
    signals.dispose();
  }
}
