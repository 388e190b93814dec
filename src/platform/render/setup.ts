// `pgward render setup`: makes a Render service run pgward's migration as its pre-deploy command (so a
// failing migration leaves the old deploy live: research note §2.2) and checks its health path. Refuses
// services whose type or plan cannot run a pre-deploy command, in one line, before changing anything.
import { PgwardError } from '../../errors.js';
import type { RenderClient } from './client.js';
import type { RenderService } from './types.js';

export interface RenderSetupOptions {
  serviceId: string;
  /** The pre-deploy command to set (e.g. `npx pgward migrate --env production`). */
  preDeploy: string;
  /** The health check path (web services only); unset = keep the service's, else /healthz. */
  healthPath?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface RenderSetupChange {
  field: 'preDeployCommand' | 'healthCheckPath';
  from: string | null;
  to: string;
}

export interface RenderSetupResult {
  serviceId: string;
  serviceName: string;
  type: string;
  plan: string | null;
  changes: RenderSetupChange[];
  /** true when the PATCH was sent (not a dry run, and something changed). */
  applied: boolean;
  /** The matching render.yaml fragment. */
  renderYaml: string;
}

const PRE_DEPLOY_TYPES = ['web_service', 'private_service', 'background_worker'];
const BLUEPRINT_TYPE: Record<string, string> = {
  web_service: 'web',
  private_service: 'pserv',
  background_worker: 'worker',
};

/** Refuses, in one line, a service that cannot run a pre-deploy command (type or free plan). */
export function checkPreDeployCapable(s: RenderService): void {
  const plan = s.serviceDetails?.plan;
  if (!PRE_DEPLOY_TYPES.includes(s.type))
    throw new PgwardError(
      `Render service ${s.id} (${s.name}) is a ${s.type}: Render runs pre-deploy commands only on web services, private services and background workers`,
      {
        hint: 'name a web service, private service or background worker in --service / deploy.render.services',
      },
    );
  if (plan === 'free')
    throw new PgwardError(
      `Render service ${s.id} (${s.name}) is on the free plan, which cannot run a pre-deploy command`,
      { hint: 'move the service to a paid plan (starter or above), or run `pgward deploy` from CI instead' },
    );
}

function yamlQuote(s: string): string {
  return /^[\w./-]+$/.test(s) ? s : JSON.stringify(s);
}

/** The render.yaml (Blueprint) fragment matching the service after setup. */
export function renderYamlFragment(s: RenderService, preDeploy: string, healthPath: string | null): string {
  const lines = [
    'services:',
    `  - type: ${BLUEPRINT_TYPE[s.type] ?? s.type}`,
    `    name: ${yamlQuote(s.name)}`,
    ...(s.serviceDetails?.plan ? [`    plan: ${yamlQuote(s.serviceDetails.plan)}`] : []),
    `    preDeployCommand: ${yamlQuote(preDeploy)}`,
    ...(healthPath ? [`    healthCheckPath: ${yamlQuote(healthPath)}`] : []),
    '    envVars:',
    '      - key: DATABASE_URL',
    '        sync: false # or fromDatabase: { name: <your database>, property: connectionString }',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Checks a Render service can run a pre-deploy command, then sets it (and the health check path).
 *
 * @example
 * ```ts
 * import { RenderClient, renderSetup } from 'pgward';
 * const client = new RenderClient({ apiKey: process.env.RENDER_API_KEY ?? '' });
 * const r = await renderSetup(client, { serviceId: 'srv-d0fq3k2dbo4c73b1a2c0', preDeploy: 'npx pgward migrate --env production', dryRun: true });
 * console.log(r.changes, r.renderYaml);
 * ```
 */
export async function renderSetup(
  client: RenderClient,
  opts: RenderSetupOptions,
): Promise<RenderSetupResult> {
  const s = await client.getService(opts.serviceId, opts.signal);
  checkPreDeployCapable(s);
  const currentPre = s.serviceDetails?.envSpecificDetails?.preDeployCommand || null;
  const currentHealth = s.serviceDetails?.healthCheckPath || null;
  const isWeb = s.type === 'web_service';
  const health = isWeb ? (opts.healthPath ?? currentHealth ?? '/healthz') : null;
  if (health !== null && !health.startsWith('/'))
    throw new PgwardError(`--health-path must start with / (got ${health})`, {
      hint: 'e.g. --health-path /healthz',
    });
  const changes: RenderSetupChange[] = [];
  if (currentPre !== opts.preDeploy)
    changes.push({ field: 'preDeployCommand', from: currentPre, to: opts.preDeploy });
  if (health !== null && health !== currentHealth)
    changes.push({ field: 'healthCheckPath', from: currentHealth, to: health });
  const apply = !opts.dryRun && changes.length > 0;
  if (apply) {
    // PATCH takes preDeployCommand directly under serviceDetails (GET shows it in envSpecificDetails): §2
    const serviceDetails: { preDeployCommand?: string; healthCheckPath?: string } = {};
    for (const c of changes) serviceDetails[c.field] = c.to;
    await client.updateService(s.id, { serviceDetails }, opts.signal);
  }
  return {
    serviceId: s.id,
    serviceName: s.name,
    type: s.type,
    plan: s.serviceDetails?.plan ?? null,
    changes,
    applied: apply,
    renderYaml: renderYamlFragment(s, opts.preDeploy, health),
  };
}
