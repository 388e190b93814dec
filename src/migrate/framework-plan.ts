// `pgward plan` for a project whose migrations another framework runs: what is pending, each migration
// read as the SQL its framework will send (Alembic through its offline mode, Django through sqlmigrate,
// Rails/Knex/node-pg-migrate through a static reading of their DSL, SQL files as sent), linted with
// that framework's execution model, and the gate's decision — changing nothing.
import { type ProjectOptions, resolveProject } from '../config/project.js';
import { appName, connect } from '../db/connect.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import type { RunnableFramework } from '../frameworks/commands.js';
import { identifyTarget } from '../identity/identify.js';
import { redactUrl } from '../redact.js';
import { gateInput, readPending } from './framework-common.js';
import { type FrameworkGate, frameworkGates } from './framework-gate.js';
import { resolveFramework } from './status.js';

export interface FrameworkPlanOptions extends ProjectOptions {
  /** Plan as if these versions were approved (records nothing). */
  approve?: string[] | undefined;
  pgVersion?: string | undefined;
}

export interface FrameworkPlan {
  framework: string;
  env: string | undefined;
  database: string;
  gates: FrameworkGate[];
  blocked: string[];
  exitCode: ExitCodeValue;
}

/**
 * The plan of a framework project's pending migrations, as `pgward migrate` would gate them.
 *
 * @example
 * ```ts
 * import { planFramework } from 'pgward';
 * const plan = await planFramework({ env: 'production', dir: 'db/migrate', framework: 'rails' });
 * for (const g of plan.gates) console.log(g.version, g.decision, g.notes);
 * ```
 */
export async function planFramework(given: FrameworkPlanOptions): Promise<FrameworkPlan> {
  const opts = await resolveProject(given);
  const client = await connect(opts.target.url, { applicationName: appName('plan') });
  try {
    const target = await identifyTarget(opts.target, { client, config: opts.config });
    const framework = (await resolveFramework(opts.source, client)) as RunnableFramework;
    const run = { ...opts, target, framework };
    const pending = (await readPending(client, run)).map((p) => ({
      ...p,
      approved: p.approved || (given.approve ?? []).includes(p.version),
    }));
    const gates = await frameworkGates(client, {
      ...gateInput(run, pending, true),
      pgVersion: given.pgVersion,
    });
    const blocked = gates.filter((g) => g.decision === 'blocked').map((g) => g.version);
    return {
      framework,
      env: target.env,
      database: redactUrl(target.url),
      gates,
      blocked,
      exitCode: blocked.length ? ExitCode.gateBlocked : ExitCode.ok,
    };
  } finally {
    await client.end().catch(() => {});
  }
}
