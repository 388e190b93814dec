// What a migrate run would do, decided in ONE place. `pgward plan`, `pgward migrate --dry-run` and the
// real run all go through planOnClient: the same refusals (drift, out-of-order, partial), the same
// pending list, the same statement checks and the same gate (findings + policy + recorded approvals),
// so a preview can never promise something the run then does differently.
import type pg from 'pg';
import { type ProjectOptions, resolveProject } from '../config/project.js';
import type { Policy, Target } from '../config/target.js';
import { appName, withClient } from '../db/connect.js';
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import { compareVersions, loadMigrations, type MigrationFile } from '../files/migration-files.js';
import { type IdentitySummary, identifyTarget, summaryOf } from '../identity/identify.js';
import type { LintReport } from '../lint/index.js';
import { redactUrl } from '../redact.js';
import { ensureParser } from '../sql/parser.js';
import type { MigrationGate } from './gate.js';
import { readApplied, readPartial } from './history.js';
import { type Comparison, compare, refusePartials } from './plan.js';
import { type PreflightEvent, runGate } from './preflight.js';
import {
  assertNoTransactionControl,
  assertUpNotEmpty,
  type PlannedStatement,
  planSection,
  shownPath,
} from './statements.js';
import { assertPgwardRunner, resolveFramework } from './status.js';

/** What decides which migrations a run takes and whether it may start. */
export interface RunSelection {
  /** Apply pending migrations up to and including this version. */
  to?: string | undefined;
  /** Go on although applied files changed or disappeared (otherwise: PgwardError, exit code 4). */
  allowDrift?: boolean | undefined;
  /** Apply pending migrations older than the newest applied one (otherwise: PgwardError, exit code 4). */
  allowOutOfOrder?: boolean | undefined;
  /** Re-run no-transaction migrations that stopped part-way, from their first statement. */
  retryPartial?: boolean | undefined;
  /** Versions a person approves (a plan counts them as approved without recording anything). */
  approve?: string[] | undefined;
}

export interface PlanOptions extends ProjectOptions, RunSelection {
  /** Lint as for this PostgreSQL version (e.g. "14"); default: the connected server's. */
  pgVersion?: string | undefined;
}

export interface PlannedMigration {
  version: string;
  name: string;
  file: string;
  transaction: boolean;
  statements: PlannedStatement[];
}

export type PlanEvent =
  | PreflightEvent
  | { type: 'plan'; pending: { version: string; name: string; transaction: boolean }[] };

export interface MigrationPlan {
  env: string | undefined;
  /** Which database was reached and which environments it was identified as (and how). */
  identity?: IdentitySummary | undefined;
  /** The policy the gate applied: the identified environment's (the strictest when it is several). */
  policy: Policy;
  /** The database URL, password removed. */
  database: string;
  /** The migrations the run would apply, in order, with their statements. */
  planned: PlannedMigration[];
  /** The gate decision for every planned migration (empty when the gate is skipped). */
  gates: MigrationGate[];
  /** The planned migrations the gate would stop (exit code 6). */
  blocked: MigrationGate[];
  /** The findings of the planned migrations (empty when the gate is skipped). */
  lint: LintReport | undefined;
  /** 0 when the run would go ahead, 6 when the gate would stop it. */
  exitCode: typeof ExitCode.ok | typeof ExitCode.gateBlocked;
}

export interface PlanOnClientOptions extends RunSelection {
  target: Target;
  pgVersion?: string | undefined;
  /** A real run records approvals and may ask for them; a plan records nothing. */
  dryRun: boolean;
  askApproval?: ((blocked: MigrationGate[]) => Promise<string[]>) | undefined;
  skipGate?: boolean | undefined;
}

/**
 * What `pgward plan` shows: the pending migrations of a database, their statements, findings and gate
 * decisions, exactly as `migrate` would decide them (it shares planOnClient with `migrate`). Read-only:
 * no lock, no history schema, no approval recorded.
 *
 * Throws PgwardError when `migrate` would refuse to start (drift, out-of-order, partial, a bad file);
 * a plan the gate blocks is an outcome: `exitCode` 6 and `blocked`.
 *
 * @example
 * ```ts
 * import { planMigrations } from 'pgward';
 * const plan = await planMigrations({ url: process.env.DATABASE_URL, dir: 'db/migrations' });
 * for (const g of plan.gates) console.log(g.version, g.decision);
 * if (plan.exitCode !== 0) console.log('blocked:', plan.blocked.map((g) => g.version));
 * ```
 */
export async function planMigrations(options: PlanOptions): Promise<MigrationPlan> {
  const opts = await resolveProject(options);
  const { files } = loadMigrations(opts.source.dir);
  assertToIsAFile(files, opts.to);
  const parserReady = ensureParser();
  parserReady.catch(() => {});
  return withClient(
    opts.target.url,
    async (client) => {
      // Policy follows the database reached, as migrate's does; read-only: identified, never stamped.
      const target = await identifyTarget(opts.target, { config: opts.config, client });
      assertPgwardRunner(await resolveFramework(opts.source, client), 'plan');
      return planOnClient(client, files, { ...opts, target, dryRun: true }, parserReady, () => {});
    },
    { applicationName: appName('plan') },
  );
}

/** `--to` names a version: one that no file has is a typo, not "apply everything". */
export function assertToIsAFile(files: MigrationFile[], to: string | undefined): void {
  if (to !== undefined && !files.some((f) => f.version === to)) {
    throw new UsageError(`--to ${to}: no migration file has that version`);
  }
}

/**
 * The plan on a connection (the real run holds the migration lock on it): refuses an unsafe start,
 * picks the pending files, parses every one before any runs, and passes them through the gate.
 */
export async function planOnClient(
  client: pg.Client,
  files: MigrationFile[],
  opts: PlanOnClientOptions,
  parserReady: Promise<void>,
  emit: (e: PlanEvent) => void,
): Promise<MigrationPlan> {
  const cmp = compare(files, await readApplied(client), await readPartial(client));
  refuseUnsafeStart(cmp, opts);
  const toRun = cmp.pendingFiles.filter(
    (f) => opts.to === undefined || compareVersions(f.version, opts.to) <= 0,
  );
  // Plan every file before running any: a syntax error in the third file must not leave two applied.
  await parserReady;
  const planned = toRun.map((f) => planMigration(f));
  emit({
    type: 'plan',
    pending: planned.map((p) => ({ version: p.version, name: p.name, transaction: p.transaction })),
  });
  const plan: MigrationPlan = {
    env: opts.target.env,
    identity: summaryOf(opts.target),
    policy: opts.target.policy,
    database: redactUrl(opts.target.url),
    planned,
    gates: [],
    blocked: [],
    lint: undefined,
    exitCode: ExitCode.ok,
  };
  if (opts.skipGate) return plan;
  const gate = await runGate(
    client,
    toRun,
    {
      target: opts.target,
      direction: 'up',
      dryRun: opts.dryRun,
      approve: opts.approve,
      askApproval: opts.askApproval,
      pgVersion: opts.pgVersion,
    },
    emit,
  );
  return {
    ...plan,
    gates: gate.gates,
    blocked: gate.blocked,
    lint: gate.report,
    // A run the gate stops is not "ok", whether it is a preview or the real thing.
    exitCode: gate.blocked.length ? ExitCode.gateBlocked : ExitCode.ok,
  };
}

function planMigration(f: MigrationFile): PlannedMigration {
  const statements = planSection(f, f.up, 'up');
  assertUpNotEmpty(f, statements.length);
  if (f.transaction) assertNoTransactionControl(f, statements);
  return {
    version: f.version,
    name: f.name,
    file: shownPath(f.path),
    transaction: f.transaction,
    statements,
  };
}

function refuseUnsafeStart(cmp: Comparison, opts: RunSelection): void {
  const list = (es: { version: string; name: string }[]) =>
    es.map((e) => `${e.version}_${e.name}`).join(', ');
  if (!opts.allowDrift && (cmp.drifted.length || cmp.missing.length)) {
    const parts = [];
    if (cmp.drifted.length) parts.push(`changed after being applied: ${list(cmp.drifted)}`);
    if (cmp.missing.length) parts.push(`applied but their files are gone: ${list(cmp.missing)}`);
    throw new PgwardError(`refusing to migrate: history and files disagree (${parts.join('; ')})`, {
      exitCode: ExitCode.drift,
      hint: 'restore the original files, or pass --allow-drift once you have checked the database matches them',
    });
  }
  if (!opts.allowOutOfOrder && cmp.outOfOrder.length) {
    throw new PgwardError(
      `refusing to migrate: pending migrations are older than the newest applied one: ${list(cmp.outOfOrder)}`,
      {
        exitCode: ExitCode.drift,
        hint: 'give them a newer version (rename the file), or pass --allow-out-of-order if their order does not matter',
      },
    );
  }
  refusePartials(cmp.partial, { command: 'migrate', retryUp: opts.retryPartial === true, retryDown: false });
}
