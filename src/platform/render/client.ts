// A typed client of Render's REST API (research note §2): services, deploys (201 and 202 creation,
// polling to a terminal status), rollback, per-key env vars, HTTP metrics, Postgres (connection info,
// point-in-time recovery, exports). Values read from the API that are secrets are registered for redaction.
import { PgwardError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import { RenderHttp, type RenderHttpOptions, sleep } from './http.js';
import {
  type RenderConnectionInfo,
  type RenderDeploy,
  type RenderEnvVar,
  type RenderExport,
  type RenderPostgres,
  type RenderRecoveryInfo,
  type RenderService,
  type RenderServicePatch,
  TERMINAL_DEPLOY_STATUSES,
} from './types.js';

export interface WaitOptions {
  /** First poll interval (default 5 s); grows ×1.5 up to `maxIntervalMs` (default 10 s). */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Give up after this long (default 60 min). */
  timeoutMs?: number;
  onStatus?: (deploy: RenderDeploy) => void;
  signal?: AbortSignal;
}

export interface RenderClientOptions extends RenderHttpOptions {
  /** Interval of the polls that find a deploy after a 202 and wait for Postgres/exports (default 2 s). */
  pollMs?: number;
}

const enc = encodeURIComponent;

export class RenderClient {
  readonly http: RenderHttp;
  private readonly pollMs: number;

  constructor(opts: RenderClientOptions) {
    this.http = new RenderHttp(opts);
    this.pollMs = opts.pollMs ?? 2000;
  }

  private async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return (await this.http.request<T>('GET', path, undefined, signal)).body;
  }

  /** Every item of a cursor-paginated list: a bare array of {key: item, cursor}, next page from the last cursor. */
  async listAll<T>(path: string, key: string, signal?: AbortSignal, pageSize = 100): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const q = `${path}${sep}limit=${pageSize}${cursor ? `&cursor=${enc(cursor)}` : ''}`;
      const items = await this.get<{ cursor?: string; [k: string]: unknown }[]>(q, signal);
      if (!Array.isArray(items) || items.length === 0) break;
      for (const it of items) out.push(it[key] as T);
      const last = items[items.length - 1]?.cursor;
      // The end is an empty page (research §1), not a short one: a page may hold fewer than `limit`.
      if (!last || last === cursor) break;
      cursor = last;
    }
    return out;
  }

  getService(serviceId: string, signal?: AbortSignal): Promise<RenderService> {
    return this.get(`/services/${enc(serviceId)}`, signal);
  }

  async updateService(
    serviceId: string,
    patch: RenderServicePatch,
    signal?: AbortSignal,
  ): Promise<RenderService> {
    return (await this.http.request<RenderService>('PATCH', `/services/${enc(serviceId)}`, patch, signal))
      .body;
  }

  listDeploys(serviceId: string, signal?: AbortSignal): Promise<RenderDeploy[]> {
    return this.listAll(`/services/${enc(serviceId)}/deploys`, 'deploy', signal);
  }

  /** The newest deploy (one page of one item), or null. */
  async newestDeploy(serviceId: string, signal?: AbortSignal): Promise<RenderDeploy | null> {
    const items = await this.get<{ deploy: RenderDeploy }[]>(
      `/services/${enc(serviceId)}/deploys?limit=1`,
      signal,
    );
    return items[0]?.deploy ?? null;
  }

  /** Deploys created at or after `since`, newest first, read page by page until an older one. */
  async deploysSince(
    serviceId: string,
    since: Date,
    signal?: AbortSignal,
    maxPages = 10,
  ): Promise<RenderDeploy[]> {
    const out: RenderDeploy[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const q = `/services/${enc(serviceId)}/deploys?limit=20${cursor ? `&cursor=${enc(cursor)}` : ''}`;
      const items = await this.get<{ deploy: RenderDeploy; cursor?: string }[]>(q, signal);
      if (!Array.isArray(items) || items.length === 0) break;
      for (const i of items) {
        if (Date.parse(i.deploy.createdAt) < since.getTime()) return out;
        out.push(i.deploy);
      }
      const last = items[items.length - 1]?.cursor;
      if (!last || last === cursor) break;
      cursor = last;
    }
    return out;
  }

  /**
   * The deploy currently live, or null. `status=live` is sent as a filter, but the status is checked here
   * too (how Render spells an array query parameter is unverified): an unfiltered answer is read page by
   * page, newest first, and only a deploy whose status is `live` is returned.
   */
  async liveDeploy(serviceId: string, signal?: AbortSignal, maxPages = 10): Promise<RenderDeploy | null> {
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const q = `/services/${enc(serviceId)}/deploys?status=live&limit=20${cursor ? `&cursor=${enc(cursor)}` : ''}`;
      const items = await this.get<{ deploy: RenderDeploy; cursor?: string }[]>(q, signal);
      if (!Array.isArray(items) || items.length === 0) return null;
      const live = items.find((i) => i.deploy?.status === 'live');
      if (live) return live.deploy;
      const last = items[items.length - 1]?.cursor;
      if (!last || last === cursor) return null;
      cursor = last;
    }
    return null;
  }

  /**
   * Triggers a deploy and returns its id. 201: the body's id. 202 (queued, no body): polls the newest
   * deploy until one other than the newest before the trigger appears (research §2.1).
   */
  async createDeploy(
    serviceId: string,
    opts: { commitId?: string; imageUrl?: string; signal?: AbortSignal; findTimeoutMs?: number } = {},
  ): Promise<string> {
    const body: Record<string, string> = {};
    if (opts.commitId) body.commitId = opts.commitId;
    if (opts.imageUrl) body.imageUrl = opts.imageUrl;
    // On a 202 the new deploy is found in the list: it is the newest one that is not the newest before
    // the trigger and was created after it (a minute of clock skew between this machine and Render allowed).
    const before = (await this.newestDeploy(serviceId, opts.signal))?.id;
    const t0 = Date.now() - 60_000;
    const res = await this.http.request<RenderDeploy | undefined>(
      'POST',
      `/services/${enc(serviceId)}/deploys`,
      body,
      opts.signal,
    );
    if (res.status !== 202 && res.body?.id) return res.body.id;
    const deadline = Date.now() + (opts.findTimeoutMs ?? 120_000);
    while (Date.now() < deadline) {
      const d = await this.newestDeploy(serviceId, opts.signal);
      if (d && d.id !== before && Date.parse(d.createdAt) >= t0) return d.id;
      await sleep(this.pollMs, opts.signal);
    }
    throw new PgwardError(
      `Render accepted a deploy of ${serviceId} (202) but it did not appear in its deploy list`,
      {
        hint: 'look at the service in the Render dashboard, then run again',
      },
    );
  }

  getDeploy(serviceId: string, deployId: string, signal?: AbortSignal): Promise<RenderDeploy> {
    return this.get(`/services/${enc(serviceId)}/deploys/${enc(deployId)}`, signal);
  }

  /** Polls a deploy until its status is terminal; interval grows with backoff. */
  async waitForDeploy(serviceId: string, deployId: string, opts: WaitOptions = {}): Promise<RenderDeploy> {
    let interval = opts.intervalMs ?? 5000;
    const maxInterval = opts.maxIntervalMs ?? 10_000;
    const deadline = Date.now() + (opts.timeoutMs ?? 3_600_000);
    let last: string | undefined;
    for (;;) {
      const d = await this.getDeploy(serviceId, deployId, opts.signal);
      if (d.status !== last) {
        last = d.status;
        opts.onStatus?.(d);
      }
      if (TERMINAL_DEPLOY_STATUSES.includes(d.status)) return d;
      if (Date.now() >= deadline)
        throw new PgwardError(
          `Render deploy ${deployId} of ${serviceId} still ${d.status} after the wait limit`,
          {
            hint: 'look at the deploy in the Render dashboard',
          },
        );
      await sleep(interval, opts.signal);
      interval = Math.min(Math.ceil(interval * 1.5), maxInterval);
    }
  }

  async cancelDeploy(serviceId: string, deployId: string, signal?: AbortSignal): Promise<RenderDeploy> {
    const path = `/services/${enc(serviceId)}/deploys/${enc(deployId)}/cancel`;
    return (await this.http.request<RenderDeploy>('POST', path, undefined, signal)).body;
  }

  /** Returns the service to an earlier deploy: a new deploy with trigger "rollback"; its id. */
  async rollback(serviceId: string, toDeployId: string, signal?: AbortSignal): Promise<string> {
    const path = `/services/${enc(serviceId)}/rollback`;
    const res = await this.http.request<RenderDeploy | undefined>(
      'POST',
      path,
      { deployId: toDeployId },
      signal,
    );
    if (res.body?.id) return res.body.id;
    const d = await this.newestDeploy(serviceId, signal);
    if (!d) throw new PgwardError(`Render accepted a rollback of ${serviceId} but no deploy appeared`);
    return d.id;
  }

  async listEnvVars(serviceId: string, signal?: AbortSignal): Promise<RenderEnvVar[]> {
    const vars = await this.listAll<RenderEnvVar>(`/services/${enc(serviceId)}/env-vars`, 'envVar', signal);
    for (const v of vars) registerSecret(v.value);
    return vars;
  }

  async getEnvVar(serviceId: string, key: string, signal?: AbortSignal): Promise<RenderEnvVar> {
    const v = await this.get<RenderEnvVar>(`/services/${enc(serviceId)}/env-vars/${enc(key)}`, signal);
    registerSecret(v.value);
    return v;
  }

  /** Sets one env var (per-key PUT: never the bulk PUT, which deletes every key it omits). Does not deploy. */
  async putEnvVar(serviceId: string, key: string, value: string, signal?: AbortSignal): Promise<void> {
    registerSecret(value);
    await this.http.request('PUT', `/services/${enc(serviceId)}/env-vars/${enc(key)}`, { value }, signal);
  }

  /** HTTP responses of a service over [since, until]: total and 5xx (series whose statusCode label starts with 5). */
  async httpRequestCounts(
    serviceId: string,
    since: Date,
    until: Date,
    signal?: AbortSignal,
  ): Promise<{ total: number; errors: number }> {
    const q = new URLSearchParams({
      resource: serviceId,
      aggregateBy: 'statusCode',
      startTime: since.toISOString(),
      endTime: until.toISOString(),
    });
    type Series = { labels?: { field: string; value: string }[]; values?: { value: number }[] };
    const series = await this.get<Series[]>(`/metrics/http-requests?${q}`, signal);
    let total = 0;
    let errors = 0;
    for (const s of Array.isArray(series) ? series : []) {
      const code = s.labels?.find((l) => l.field === 'statusCode')?.value ?? '';
      const sum = (s.values ?? []).reduce((a, v) => a + (Number(v.value) || 0), 0);
      total += sum;
      if (code.startsWith('5')) errors += sum;
    }
    return { total, errors };
  }

  getPostgres(postgresId: string, signal?: AbortSignal): Promise<RenderPostgres> {
    return this.get(`/postgres/${enc(postgresId)}`, signal);
  }

  async connectionInfo(postgresId: string, signal?: AbortSignal): Promise<RenderConnectionInfo> {
    const info = await this.get<RenderConnectionInfo>(`/postgres/${enc(postgresId)}/connection-info`, signal);
    registerSecret(info.password);
    registerSecret(info.externalConnectionString);
    registerSecret(info.internalConnectionString);
    return info;
  }

  recoveryInfo(postgresId: string, signal?: AbortSignal): Promise<RenderRecoveryInfo> {
    return this.get(`/postgres/${enc(postgresId)}/recovery`, signal);
  }

  /** Point-in-time recovery into a NEW instance (the source is untouched); returns the new instance. */
  async recover(
    postgresId: string,
    restoreTime: Date,
    restoreName?: string,
    signal?: AbortSignal,
  ): Promise<RenderPostgres> {
    const body = { restoreTime: restoreTime.toISOString(), ...(restoreName ? { restoreName } : {}) };
    return (
      await this.http.request<RenderPostgres>('POST', `/postgres/${enc(postgresId)}/recovery`, body, signal)
    ).body;
  }

  /** Polls a Postgres instance until `available` (fails on recovery_failed/unavailable). */
  async waitForPostgres(
    postgresId: string,
    opts: { timeoutMs?: number; signal?: AbortSignal; onStatus?: (s: string) => void } = {},
  ): Promise<RenderPostgres> {
    const deadline = Date.now() + (opts.timeoutMs ?? 3_600_000);
    let last = '';
    for (;;) {
      const p = await this.getPostgres(postgresId, opts.signal);
      if (p.status !== last) {
        last = p.status;
        opts.onStatus?.(p.status);
      }
      if (p.status === 'available') return p;
      if (p.status === 'recovery_failed' || p.status === 'unavailable')
        throw new PgwardError(`Render Postgres ${postgresId} is ${p.status}`, {
          hint: 'look at it in the Render dashboard',
        });
      if (Date.now() >= deadline)
        throw new PgwardError(`Render Postgres ${postgresId} still ${p.status} after the wait limit`);
      await sleep(this.pollMs, opts.signal);
    }
  }

  /** Asks for a logical export (202, no body): it appears in listExports later. */
  async createExport(postgresId: string, signal?: AbortSignal): Promise<void> {
    await this.http.request('POST', `/postgres/${enc(postgresId)}/export`, undefined, signal);
  }

  /** Exports, newest first (a bare array, not cursor-wrapped). */
  async listExports(postgresId: string, signal?: AbortSignal): Promise<RenderExport[]> {
    const list = await this.get<RenderExport[]>(`/postgres/${enc(postgresId)}/export`, signal);
    const out = Array.isArray(list) ? [...list] : [];
    for (const e of out) if (e.url) registerSecret(new URL(e.url).search.slice(1) || null); // pre-signed query
    return out.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  }

  /** Creates an export and waits until a new one with a download url is listed. */
  async createAndWaitExport(
    postgresId: string,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<RenderExport> {
    const before = new Set((await this.listExports(postgresId, opts.signal)).map((e) => e.id));
    await this.createExport(postgresId, opts.signal);
    const deadline = Date.now() + (opts.timeoutMs ?? 3_600_000);
    while (Date.now() < deadline) {
      const fresh = (await this.listExports(postgresId, opts.signal)).find((e) => !before.has(e.id) && e.url);
      if (fresh) return fresh;
      await sleep(this.pollMs, opts.signal);
    }
    throw new PgwardError(`Render export of ${postgresId} did not appear within the wait limit`, {
      hint: 'run again with --export <id> once it is listed in the Render dashboard',
    });
  }
}
