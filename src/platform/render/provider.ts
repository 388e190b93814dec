// Render as a DeployProvider (src/platform/types.ts): deploys, waits and rolls back the first service of
// deploy.render.services through the REST API, reads its HTTP 5xx counts, and points every service at
// another database with per-key env var writes followed by a deploy (an env var write alone does not
// redeploy on Render: research note §2 gotchas).
import { PgwardError } from '../../errors.js';
import type {
  DeployProvider,
  PlatformDeployRef,
  PlatformDeployResult,
  PlatformOutcome,
  PlatformVersion,
  RequestCounts,
  TriggerOptions,
} from '../types.js';
import { RenderClient, type RenderClientOptions } from './client.js';
import type { RenderDeploy, RenderDeployStatus } from './types.js';

export interface RenderProviderOptions extends RenderClientOptions {
  /** Service ids: the first is deployed, verified and rolled back; all get the database URL on setDatabaseUrl. */
  services: string[];
  /** The Render Postgres behind the environment (dpg-…), for exports and PITR. */
  postgres?: string;
  /** The env var the app reads its database URL from (default DATABASE_URL). */
  databaseUrlKey?: string;
  /** First poll interval of a deploy (default 5 s) and its cap (default 10 s); tests use ~50 ms. */
  deployPollMs?: number;
  deployPollMaxMs?: number;
  /** Longest wait for one deploy (default 60 min). */
  deployTimeoutMs?: number;
}

/** Render's final status → pgward's outcome. `deactivated` was live before being superseded: success ([R-CLI]). */
export function outcomeOf(status: RenderDeployStatus): PlatformOutcome {
  switch (status) {
    case 'live':
    case 'deactivated':
      return 'live';
    case 'build_failed':
    case 'pre_deploy_failed':
    case 'update_failed':
    case 'canceled':
      return status;
    default:
      return 'failed';
  }
}

function detailOf(serviceId: string, d: RenderDeploy): string {
  const base = `Render deploy ${d.id} of ${serviceId}: ${d.status}`;
  if (d.status === 'pre_deploy_failed')
    return `${base} (the pre-deploy command, e.g. the migration, exited non-zero; the previous deploy is still live)`;
  if (d.status === 'update_failed')
    return `${base} (the new instances never became healthy; the previous deploy is still live)`;
  if (d.status === 'build_failed') return `${base} (the build failed; nothing was deployed)`;
  return base;
}

export class RenderProvider implements DeployProvider {
  readonly kind = 'render' as const;
  readonly client: RenderClient;
  readonly services: string[];
  readonly postgres: string | undefined;
  private readonly databaseUrlKey: string;
  private readonly o: RenderProviderOptions;

  constructor(opts: RenderProviderOptions) {
    if (opts.services.length === 0)
      throw new PgwardError('deploy.render.services is empty: name at least one srv-… id');
    this.client = new RenderClient(opts);
    this.services = [...opts.services];
    this.postgres = opts.postgres;
    this.databaseUrlKey = opts.databaseUrlKey ?? 'DATABASE_URL';
    this.o = opts;
  }

  private get primary(): string {
    return this.services[0] as string;
  }

  describe(): string {
    const more = this.services.length > 1 ? ` (+ ${this.services.slice(1).join(', ')})` : '';
    return `Render service ${this.primary}${more}`;
  }

  async liveDeploy(signal?: AbortSignal): Promise<string | null> {
    return (await this.client.liveDeploy(this.primary, signal))?.id ?? null;
  }

  /** The live deploy's image reference (image-backed services) or else its commit id; null when nothing is live. */
  async liveVersion(signal?: AbortSignal): Promise<PlatformVersion | null> {
    const d = await this.client.liveDeploy(this.primary, signal);
    if (d?.image?.ref) return { image: d.image.ref };
    if (d?.commit?.id) return { commit: d.commit.id };
    return null;
  }

  async apiDeploysSince(since: Date, signal?: AbortSignal): Promise<PlatformDeployRef[]> {
    const deploys = await this.client.deploysSince(this.primary, since, signal);
    return deploys
      .filter((d) => d.trigger === 'api')
      .map((d) => ({
        id: d.id,
        createdAt: d.createdAt,
        ...(d.commit?.id ? { commit: d.commit.id } : {}),
        ...(d.image?.ref ? { image: d.image.ref } : {}),
      }));
  }

  async trigger(opts: TriggerOptions): Promise<string | null> {
    return this.triggerOn(this.primary, opts);
  }

  private async triggerOn(serviceId: string, opts: TriggerOptions): Promise<string> {
    opts.onProgress?.({
      status: 'triggering',
      detail: `deploy of ${serviceId} for pgward deploy ${opts.deployId}`,
    });
    return this.client.createDeploy(serviceId, {
      ...(opts.commit ? { commitId: opts.commit } : {}),
      ...(opts.image ? { imageUrl: opts.image } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  async wait(platformDeployId: string | null, opts: TriggerOptions): Promise<PlatformDeployResult> {
    return this.waitOn(this.primary, platformDeployId, opts);
  }

  private async waitOn(
    serviceId: string,
    id: string | null,
    opts: TriggerOptions,
  ): Promise<PlatformDeployResult> {
    const started = Date.now();
    if (!id)
      return {
        outcome: 'failed',
        platformDeployId: null,
        detail: 'no Render deploy id to wait for',
        durationMs: 0,
      };
    const d = await this.client.waitForDeploy(serviceId, id, {
      ...(this.o.deployPollMs !== undefined ? { intervalMs: this.o.deployPollMs } : {}),
      ...(this.o.deployPollMaxMs !== undefined ? { maxIntervalMs: this.o.deployPollMaxMs } : {}),
      ...(this.o.deployTimeoutMs !== undefined ? { timeoutMs: this.o.deployTimeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onStatus: (x) => opts.onProgress?.({ status: x.status, detail: `${serviceId} ${x.id}` }),
    });
    return {
      outcome: outcomeOf(d.status),
      platformDeployId: d.id,
      detail: detailOf(serviceId, d),
      durationMs: Date.now() - started,
    };
  }

  async rollback(toDeployId: string | null, opts: TriggerOptions): Promise<PlatformDeployResult> {
    if (!toDeployId)
      return {
        outcome: 'failed',
        platformDeployId: null,
        detail: `no earlier live deploy of ${this.primary} is known: roll back in the Render dashboard`,
        durationMs: 0,
      };
    opts.onProgress?.({ status: 'rolling back', detail: `${this.primary} to ${toDeployId}` });
    const id = await this.client.rollback(this.primary, toDeployId, opts.signal);
    return this.waitOn(this.primary, id, opts);
  }

  async requestCounts(since: Date, until: Date, signal?: AbortSignal): Promise<RequestCounts | null> {
    return this.client.httpRequestCounts(this.primary, since, until, signal);
  }

  /** Per-key PUT of the database URL on every service, then a deploy of each so it applies; the first failure wins. */
  async setDatabaseUrl(url: string, opts: TriggerOptions): Promise<PlatformDeployResult> {
    const started = Date.now();
    for (const s of this.services) {
      opts.onProgress?.({ status: 'setting env var', detail: `${this.databaseUrlKey} on ${s}` });
      await this.client.putEnvVar(s, this.databaseUrlKey, url, opts.signal);
    }
    let last: PlatformDeployResult | undefined;
    for (const s of this.services) {
      const id = await this.triggerOn(s, opts);
      last = await this.waitOn(s, id, opts);
      if (last.outcome !== 'live') return { ...last, durationMs: Date.now() - started };
    }
    return { ...(last as PlatformDeployResult), durationMs: Date.now() - started };
  }

  /** The external connection URL of a Render Postgres (dpg-…), registered as a secret. */
  async databaseUrl(databaseId: string, signal?: AbortSignal): Promise<string> {
    return (await this.client.connectionInfo(databaseId, signal)).externalConnectionString;
  }
}
