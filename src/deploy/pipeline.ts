// `pgward deploy`: preflight → backup → migrate → platform deploy → verify → (rollback) → record and
// alert, under the environment's deploy lock, each step journaled as it starts and ends. A deploy left
// running by a crash (or Ctrl-C) is resumed by the next run: finished steps are kept, never re-run; the
// step that was running runs again (each is safe to: see docs/deploy.md).

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolveProject } from '../config/project.js';
import { appName, connect } from '../db/connect.js';
import { ExitCode, PgwardError } from '../errors.js';
import { isInterrupted } from '../interrupt.js';
import { actor } from '../migrate/history.js';
import { providerFor } from '../platform/index.js';
import { redact, redactUrl } from '../redact.js';
import { deploySettings, registerEnvironmentSecrets } from './config.js';
import { databaseDecision } from './decision.js';
import {
  type DeployRecord,
  type DeployStatus,
  type DeployStep,
  ensureJournal,
  insertDeploy,
  type StepName,
  saveDeploy,
  unfinishedDeploy,
} from './journal.js';
import { acquireDeployLock, currentStep, releaseDeployLock } from './lock.js';
import { preflight } from './preflight.js';
import { alertOutcome } from './report.js';
import { backupStep, migrateStep } from './steps-db.js';
import { oldVersionStillLive, platformStep, rollbackStep, verifyStep } from './steps-platform.js';
import type { DeployOptions, DeployResult, PipelineContext, StepOutcome } from './types.js';

const STEPS: [StepName, (ctx: PipelineContext) => Promise<StepOutcome>][] = [
  ['preflight', preflight],
  ['backup', backupStep],
  ['migrate', migrateStep],
  ['platform', platformStep],
  ['verify', verifyStep],
];

export function newDeployId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `dpl_${stamp}_${randomBytes(3).toString('hex')}`;
}

/**
 * What `pgward deploy --env <name>` does: the whole pipeline, journaled in pgward.deploys. Throws
 * PgwardError when it cannot start (no deploy: block, another deploy running: exit 7) or a step broke
 * unexpectedly (recorded as failed first); returns the outcome otherwise (`exitCode`: 0 deployed,
 * 6 blocked by the gate, 8 doctor, 9 rehearsal over budget, 11 failed, 12 rolled back, 130 interrupted,
 * 1 the platform's API unreachable while waiting on it: the deploy stays resumable).
 *
 * @example
 * ```ts
 * import { deploy } from 'pgward';
 * const r = await deploy({ env: 'production', approve: ['20260101120000'] });
 * console.log(r.deploy.id, r.deploy.status, r.deploy.steps.map((s) => `${s.name}: ${s.status}`));
 * ```
 */
export async function deploy(given: DeployOptions): Promise<DeployResult> {
  const opts = await resolveProject(given);
  const settings = deploySettings(opts.config, opts.target.env);
  redactUrl(opts.target.url); // registers the password: it is masked wherever it shows up
  registerEnvironmentSecrets(settings.raw);
  const provider =
    opts.provider ??
    providerFor(settings.raw, {
      cwd: opts.cwd ?? opts.config?.baseDir ?? process.cwd(),
      envName: settings.env,
    });
  const client = await connect(opts.target.url, { applicationName: appName('deploy') });
  let locked = false;
  try {
    await acquireDeployLock(client, settings.env);
    locked = true;
    await ensureJournal(client);
    const { projectFramework } = await import('../migrate/framework-common.js');
    const framework = await projectFramework({
      target: opts.target,
      source: opts.source,
      config: opts.config,
    });
    const ctx: PipelineContext = {
      opts,
      settings,
      provider,
      client,
      rec: undefined as unknown as DeployRecord,
      resumed: false,
      priorAttempt: undefined,
      framework,
      blocked: [],
      database: null,
      emit: opts.onEvent ?? (() => {}),
    };
    await openRecord(ctx);
    const exitCode = await runSteps(ctx);
    return result(ctx, exitCode);
  } finally {
    if (locked) await releaseDeployLock(client).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** Resumes the environment's unfinished deploy, or starts a new one. */
async function openRecord(ctx: PipelineContext): Promise<void> {
  const env = ctx.settings.env;
  const stopped = await unfinishedDeploy(ctx.client, env);
  if (stopped) {
    ctx.resumed = true;
    ctx.rec = { ...stopped, pid: process.pid, host: hostname() };
    ctx.emit({ type: 'resume', id: stopped.id, stoppedAt: currentStep(stopped) });
    noteIgnoredFlags(ctx);
    await saveDeploy(ctx.client, ctx.rec);
    return;
  }
  ctx.rec = {
    id: newDeployId(),
    env,
    status: 'running',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    pid: process.pid,
    host: hostname(),
    actor: actor(),
    provider: ctx.provider.describe(),
    steps: [],
    migrations: [],
    previousDeploy: null,
    platformDeployId: null,
    commit: ctx.opts.commit ?? null,
    image: ctx.opts.image ?? null,
    backupId: null,
    writeBaseline: null,
    exitCode: null,
    databaseRollback: null,
  };
  await insertDeploy(ctx.client, ctx.rec);
  ctx.emit({ type: 'start', id: ctx.rec.id, env, provider: ctx.rec.provider });
}

/** A resumed deploy deploys what it was started with: this run's different --commit / --image are ignored, and said so. */
function noteIgnoredFlags(ctx: PipelineContext): void {
  for (const flag of ['commit', 'image'] as const) {
    const given = ctx.opts[flag];
    if (given && given !== ctx.rec[flag])
      ctx.emit({
        type: 'progress',
        step: ctx.rec.steps.at(-1)?.name ?? 'preflight',
        detail: `--${flag} ${given} ignored: the resumed deploy keeps ${ctx.rec[flag] ? `--${flag} ${ctx.rec[flag]}` : `no --${flag}`}, as it was started; run pgward deploy again afterwards to deploy ${given}`,
      });
  }
}

async function runSteps(ctx: PipelineContext): Promise<number> {
  for (const [name, fn] of STEPS) {
    const prev = ctx.rec.steps.find((s) => s.name === name);
    if (prev && (prev.status === 'done' || prev.status === 'skipped')) {
      ctx.emit({ type: 'step-kept', step: prev });
      continue;
    }
    // A step that ended failed before a crash is finished: go on from its failure, never re-run it.
    ctx.priorAttempt = prev;
    const out =
      prev?.status === 'failed'
        ? { status: 'failed' as const, detail: prev.detail }
        : await runStep(ctx, name, fn);
    if (out.status === 'interrupted') return out.exitCode ?? ExitCode.interrupted;
    if (out.status === 'failed') return afterFailure(ctx, name, out);
  }
  return finish(ctx, 'succeeded', ExitCode.ok);
}

/** Journals the step as running, runs it, journals how it ended. Unexpected errors are recorded, then thrown. */
async function runStep(
  ctx: PipelineContext,
  name: StepName,
  fn: (ctx: PipelineContext) => Promise<StepOutcome>,
): Promise<StepOutcome> {
  const started = Date.now();
  const step: DeployStep = {
    name,
    status: 'running',
    startedAt: new Date(started).toISOString(),
    finishedAt: null,
    durationMs: null,
    detail: '',
  };
  ctx.rec.steps = [...ctx.rec.steps.filter((s) => s.name !== name), step];
  await saveDeploy(ctx.client, ctx.rec);
  ctx.emit({ type: 'step-start', step: name });
  let out: StepOutcome;
  try {
    out = await fn(ctx);
  } catch (err) {
    if (!ctx.opts.signal?.aborted && !isInterrupted(err)) {
      const message = (err as Error).message;
      end(step, started, 'failed', message);
      await finish(ctx, 'failed', err instanceof PgwardError ? err.exitCode : ExitCode.runtime);
      ctx.emit({ type: 'step-end', step });
      throw err;
    }
    out = { status: 'interrupted', detail: 'interrupted', exitCode: ExitCode.interrupted };
  }
  if (ctx.opts.signal?.aborted && out.status !== 'done' && out.status !== 'skipped')
    out = { status: 'interrupted', detail: `interrupted (${out.detail})`, exitCode: ExitCode.interrupted };
  end(step, started, out.status, out.detail);
  await saveDeploy(ctx.client, ctx.rec);
  ctx.emit({ type: 'step-end', step });
  return out;
}

function end(step: DeployStep, started: number, status: DeployStep['status'], detail: string): void {
  step.status = status;
  step.detail = redact(detail);
  step.finishedAt = new Date().toISOString();
  step.durationMs = Date.now() - started;
}

async function afterFailure(ctx: PipelineContext, name: StepName, out: StepOutcome): Promise<number> {
  if (name === 'preflight' || name === 'backup' || name === 'migrate')
    return finish(
      ctx,
      out.exitCode === ExitCode.gateBlocked ? 'blocked' : 'failed',
      out.exitCode ?? ExitCode.deployFailed,
    );
  if (name === 'platform' && oldVersionStillLive(out.detail))
    return finish(ctx, 'failed', ExitCode.deployFailed);
  const prev = ctx.rec.steps.find((s) => s.name === 'rollback');
  const rolled =
    prev && (prev.status === 'done' || prev.status === 'failed')
      ? prev
      : await runStep(ctx, 'rollback', rollbackStep);
  if (rolled.status === 'interrupted')
    return ('exitCode' in rolled ? rolled.exitCode : undefined) ?? ExitCode.interrupted;
  ctx.database = await databaseDecision(ctx);
  if (rolled.status !== 'done') return finish(ctx, 'rollback_failed', ExitCode.deployFailed);
  return finish(ctx, 'rolled_back', ExitCode.rolledBack);
}

async function finish(ctx: PipelineContext, status: DeployStatus, exitCode: number): Promise<number> {
  ctx.rec.status = status;
  ctx.rec.exitCode = exitCode;
  ctx.rec.finishedAt = new Date().toISOString();
  await saveDeploy(ctx.client, ctx.rec);
  await alertOutcome(ctx);
  return exitCode;
}

function result(ctx: PipelineContext, exitCode: number): DeployResult {
  const env = ctx.settings.env;
  return {
    deploy: ctx.rec,
    resumed: ctx.resumed,
    blocked: ctx.blocked,
    approveCommand: ctx.blocked.length
      ? `pgward deploy --env ${env} --approve ${ctx.blocked.join(',')}`
      : null,
    database: ctx.database,
    exitCode,
  };
}
