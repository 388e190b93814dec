// A local simulator of Render's REST API (https://api.render.com/v1), the documented exception to "no
// mocks": Render cannot be reached from tests. Which behaviour comes from which source, and what is a
// guess, is in docs/render-simulator.md. Postgres instances are real databases on a local cluster the test
// gives; point-in-time recovery copies one into a NEW real database, exports really run pg_dump -Fd.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Cluster, findPgBinDir } from './cluster.js';
import { adminQuery } from './db.js';

const execFileP = promisify(execFile);

export type DeployStatus =
  | 'created'
  | 'queued'
  | 'build_in_progress'
  | 'pre_deploy_in_progress'
  | 'update_in_progress'
  | 'live'
  | 'deactivated'
  | 'build_failed'
  | 'update_failed'
  | 'canceled'
  | 'pre_deploy_failed';
const TERMINAL = new Set<DeployStatus>([
  'live',
  'deactivated',
  'build_failed',
  'update_failed',
  'canceled',
  'pre_deploy_failed',
]);
export type DeployFault = 'build_failed' | 'pre_deploy_failed' | 'update_failed';

export interface RenderSimOptions {
  /** The API key the simulator accepts (default: a random rnd_… key, see `sim.apiKey`). */
  apiKey?: string;
  /** How deploys advance: 'timer' (one step every `stepMs`, default) or 'poll' (one step per GET of the deploy). */
  advance?: 'timer' | 'poll';
  /** Milliseconds between two deploy steps with advance 'timer' (default 30); also Postgres creating → available. */
  stepMs?: number;
  /** Answer POST …/deploys with 202 and no body (default 201 with the deploy). A deploy in progress always gives 202. */
  createDeployStatus?: 201 | 202;
  /** With a 202: the accepted deploy appears in the list only this many ms later (default 0). */
  acceptedDeployDelayMs?: number;
  /** Deploy triggers allowed per service per window (default 10 per 60 s, Render's documented limit). */
  deployRateLimit?: { limit: number; windowMs: number; retryAfterSeconds: number };
  /** Where a service's preDeployCommand really runs (spawned with `sh -c`). Unset: the command is not run, the step just passes. */
  preDeployCwd?: string;
  /** Extra environment for the pre-deploy command (on top of this process's and the service's env vars). */
  preDeployEnv?: Record<string, string | undefined>;
  /** Ignore the `status` filter of GET …/deploys (how Render spells an array parameter is unverified). */
  ignoreStatusFilter?: boolean;
  /** The cluster holding the databases behind simulated Render Postgres instances (needed for PITR and exports). */
  cluster?: Cluster;
}

export interface SimService {
  id: string;
  name: string;
  type: 'web_service' | 'private_service' | 'background_worker' | 'static_site' | 'cron_job';
  plan: string;
  preDeployCommand?: string;
  healthCheckPath?: string;
  env: Map<string, string>;
  /** Every PATCH body received, in order. */
  patches: unknown[];
}

export interface SimDeploy {
  id: string;
  serviceId: string;
  status: DeployStatus;
  trigger: string;
  commit: { id: string; message: string; createdAt: string };
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** The pre-deploy command's output (stdout+stderr) and exit code, when it ran. */
  preDeployOutput?: string;
  preDeployExitCode?: number | null;
  /** Steps still to go, e.g. ['build_in_progress', 'pre_deploy_in_progress', 'update_in_progress', 'live']. */
  plan: DeployStatus[];
  fault?: DeployFault;
  running?: ChildProcess;
}

export interface SimPostgres {
  id: string;
  name: string;
  plan: string;
  status: string;
  /** The real database on the cluster. */
  database: string;
  recoveryStatus: 'AVAILABLE' | 'BACKUP_NOT_READY' | 'NOT_AVAILABLE';
  startsAt: string;
  createdAt: string;
  /** For an instance made by PITR: the source id and the requested time. */
  restoredFrom?: { id: string; restoreTime: string };
  exports: { id: string; createdAt: string; url: string; file: string }[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  authorization: string | undefined;
  /** Date.now() when it arrived. */
  at: number;
}

export interface RenderSim {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:41234/v1: the `api_url` of pgward.yaml. */
  readonly url: string;
  readonly apiKey: string;
  addService(
    opts?: Partial<
      Pick<SimService, 'id' | 'name' | 'type' | 'plan' | 'preDeployCommand' | 'healthCheckPath'>
    > & {
      env?: Record<string, string>;
      /** Commit of the initial live deploy (default a random sha). Set null for a service with no deploy yet. */
      liveCommit?: string | null;
    },
  ): SimService;
  /** A Render Postgres instance backed by the real database `database` of the cluster. */
  addPostgres(opts: {
    database: string;
    id?: string;
    name?: string;
    plan?: string;
    recoveryStatus?: SimPostgres['recoveryStatus'];
    startsAt?: Date;
  }): SimPostgres;
  service(id: string): SimService;
  /** Deploys of a service, newest first. */
  deploys(serviceId: string): SimDeploy[];
  liveDeploy(serviceId: string): SimDeploy | undefined;
  postgres(id: string): SimPostgres;
  /** All Postgres instances (PITR adds new ones). */
  allPostgres(): SimPostgres[];
  /** HTTP request counts the metrics endpoint reports: at `at` (default now), `count` responses of `statusCode`. */
  recordRequests(serviceId: string, statusCode: number, count: number, at?: Date): void;
  /** Traffic reported for any metrics window, per the deploy live at the window's end (e.g. errors only for one commit). */
  setTraffic(
    serviceId: string,
    traffic: ((live: SimDeploy | undefined) => { ok: number; errors: number }) | null,
  ): void;
  readonly faults: {
    /** The next deploy of the service ends in this status (at its step). */
    failNextDeploy(serviceId: string, fault: DeployFault): void;
    /** The next `n` API requests (of `method` only, when given) fail: 503 with Render's error body, or a reset connection. */
    outage(n: number, kind?: '503' | 'reset', method?: string): void;
    /** The next `n` deploy triggers of the service get 429 with Retry-After (default 1 s). */
    rateLimitNext(serviceId: string, n: number, retryAfterSeconds?: number): void;
    /** Adds `count` 5xx responses now (a spike in the metrics). */
    spike5xx(serviceId: string, count: number, statusCode?: number): void;
  };
  /** Every request received (method, path with query, status, Authorization header). */
  readonly requests: RequestLogEntry[];
  /** Advances every deploy in progress by one step (for advance 'poll' or manual control). */
  step(): void;
  close(): Promise<void>;
}

const xid = () => randomBytes(10).toString('hex').slice(0, 20);
const nowIso = () => new Date().toISOString();
const sha = () => randomBytes(20).toString('hex');

function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function startRenderSim(opts: RenderSimOptions = {}): Promise<RenderSim> {
  const apiKey = opts.apiKey ?? `rnd_${randomBytes(16).toString('hex')}`;
  const stepMs = opts.stepMs ?? 30;
  const advance = opts.advance ?? 'timer';
  const limit = opts.deployRateLimit ?? { limit: 10, windowMs: 60_000, retryAfterSeconds: 60 };
  const services = new Map<string, SimService>();
  const deploys = new Map<string, SimDeploy[]>();
  const postgres = new Map<string, SimPostgres>();
  const points: { serviceId: string; statusCode: number; count: number; at: number }[] = [];
  const traffic = new Map<string, (live: SimDeploy | undefined) => { ok: number; errors: number }>();
  const nextFault = new Map<string, DeployFault>();
  const triggers = new Map<string, number[]>();
  const forced429 = new Map<string, { n: number; retryAfter: number }>();
  const requests: RequestLogEntry[] = [];
  const workDirs: string[] = [];
  const createdDbs: string[] = [];
  const sockets = new Set<Socket>();
  const children = new Set<ChildProcess>();
  let outage: { n: number; kind: '503' | 'reset'; method?: string | undefined } = { n: 0, kind: '503' };
  let base = '';

  const serviceOr404 = (id: string) => {
    const s = services.get(id);
    if (!s) throw new HttpError(404, 'service not found');
    return s;
  };
  const pgOr404 = (id: string) => {
    const p = postgres.get(id);
    if (!p) throw new HttpError(404, 'postgres not found');
    return p;
  };
  const liveOf = (serviceId: string) => deploys.get(serviceId)?.find((d) => d.status === 'live');
  const inProgress = (serviceId: string) => deploys.get(serviceId)?.find((d) => !TERMINAL.has(d.status));

  function serviceJson(s: SimService) {
    return {
      id: s.id,
      name: s.name,
      slug: s.name,
      type: s.type,
      ownerId: 'tea-sim0000000000000000',
      repo: 'https://github.com/acme/api',
      branch: 'main',
      autoDeploy: 'no',
      autoDeployTrigger: 'off',
      suspended: 'not_suspended',
      suspenders: [],
      dashboardUrl: `https://dashboard.render.com/web/${s.id}`,
      createdAt: '2026-05-01T10:00:00.000000Z',
      updatedAt: nowIso(),
      serviceDetails: {
        env: 'node',
        runtime: 'node',
        plan: s.plan,
        region: 'oregon',
        numInstances: 1,
        ...(s.healthCheckPath !== undefined ? { healthCheckPath: s.healthCheckPath } : {}),
        envSpecificDetails: {
          buildCommand: 'npm ci && npm run build',
          startCommand: 'npm start',
          ...(s.preDeployCommand ? { preDeployCommand: s.preDeployCommand } : {}),
        },
      },
    };
  }

  function deployJson(d: SimDeploy) {
    const { id, status, trigger, commit, createdAt, updatedAt, startedAt, finishedAt } = d;
    return {
      id,
      status,
      trigger,
      commit,
      createdAt,
      updatedAt,
      ...(startedAt ? { startedAt } : {}),
      ...(finishedAt ? { finishedAt } : {}),
    };
  }

  function pgJson(p: SimPostgres) {
    return {
      id: p.id,
      name: p.name,
      owner: { id: 'tea-sim0000000000000000', name: 'Sim', email: 'ops@sim.test', type: 'team' },
      plan: p.plan,
      region: 'oregon',
      version: '15',
      status: p.status,
      role: 'primary',
      databaseName: p.database,
      databaseUser: 'app',
      diskSizeGB: 5,
      suspended: 'not_suspended',
      suspenders: [],
      dashboardUrl: `https://dashboard.render.com/d/${p.id}`,
      createdAt: p.createdAt,
      updatedAt: nowIso(),
    };
  }

  /** A bare array of {key: obj, cursor}; `cursor` is the index after the item (opaque to clients). */
  function paginate<T>(items: T[], key: string, url: URL, toJson: (t: T) => unknown) {
    const lim = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 20) || 20, 1), 100);
    const cur = url.searchParams.get('cursor');
    const start = cur ? Number(Buffer.from(cur, 'base64').toString('utf8')) : 0;
    return items.slice(start, start + lim).map((item, i) => ({
      [key]: toJson(item),
      cursor: Buffer.from(String(start + i + 1)).toString('base64'),
    }));
  }

  function planFor(s: SimService): DeployStatus[] {
    const steps: DeployStatus[] = ['build_in_progress'];
    if (s.preDeployCommand && s.plan !== 'free') steps.push('pre_deploy_in_progress');
    steps.push('update_in_progress', 'live');
    return steps;
  }

  function newDeploy(s: SimService, trigger: string, commit?: string, queued = false): SimDeploy {
    const t = nowIso();
    const d: SimDeploy = {
      id: `dep-${xid()}`,
      serviceId: s.id,
      status: queued ? 'queued' : 'created',
      trigger,
      commit: { id: commit ?? sha(), message: `commit for ${trigger}`, createdAt: t },
      createdAt: t,
      updatedAt: t,
      plan: planFor(s),
    };
    const f = nextFault.get(s.id);
    if (f) {
      d.fault = f;
      nextFault.delete(s.id);
    }
    deploys.set(s.id, [d, ...(deploys.get(s.id) ?? [])]);
    return d;
  }

  function finish(d: SimDeploy, status: DeployStatus) {
    d.status = status;
    d.updatedAt = nowIso();
    d.finishedAt = d.updatedAt;
    if (status === 'live') {
      for (const other of deploys.get(d.serviceId) ?? []) {
        if (other !== d && other.status === 'live') {
          other.status = 'deactivated';
          other.updatedAt = nowIso();
        }
      }
    }
    // the next queued deploy of the service starts
    const queued = (deploys.get(d.serviceId) ?? []).filter((x) => x.status === 'queued').pop();
    if (queued) queued.status = 'created';
  }

  function runPreDeploy(d: SimDeploy, s: SimService) {
    const env: Record<string, string | undefined> = { ...process.env, ...opts.preDeployEnv };
    for (const [k, v] of s.env) env[k] = v;
    const child = spawn('sh', ['-c', s.preDeployCommand ?? 'true'], {
      cwd: opts.preDeployCwd,
      env,
      stdio: 'pipe',
      detached: true, // its own process group: close() and cancel end the command and its children
    });
    children.add(child);
    d.running = child;
    d.preDeployOutput = '';
    child.stdout.on('data', (b) => {
      d.preDeployOutput += String(b);
    });
    child.stderr.on('data', (b) => {
      d.preDeployOutput += String(b);
    });
    child.on('close', (code) => {
      children.delete(child);
      d.running = undefined;
      d.preDeployExitCode = code;
      if (d.status !== 'pre_deploy_in_progress') return; // canceled meanwhile
      if (code !== 0) finish(d, 'pre_deploy_failed');
      else {
        d.plan.shift();
        d.status = d.plan[0] ?? 'live';
        d.updatedAt = nowIso();
      }
    });
  }

  function stepDeploy(d: SimDeploy) {
    if (TERMINAL.has(d.status) || d.status === 'queued' || d.running) return;
    const s = services.get(d.serviceId);
    if (!s) return;
    if (d.status === 'created') {
      d.startedAt = nowIso();
      d.status = d.plan[0] ?? 'live';
    } else {
      // leaving the current step: a fault fires at the step it names
      if (d.fault === 'build_failed' && d.status === 'build_in_progress') return finish(d, 'build_failed');
      if (d.fault === 'pre_deploy_failed' && d.status === 'pre_deploy_in_progress')
        return finish(d, 'pre_deploy_failed');
      if (d.fault === 'update_failed' && d.status === 'update_in_progress') return finish(d, 'update_failed');
      if (
        d.fault === 'pre_deploy_failed' &&
        d.status === 'build_in_progress' &&
        !d.plan.includes('pre_deploy_in_progress')
      )
        return finish(d, 'pre_deploy_failed');
      d.plan.shift();
      d.status = d.plan[0] ?? 'live';
    }
    d.updatedAt = nowIso();
    if (d.status === 'live') return finish(d, 'live');
    if (d.status === 'pre_deploy_in_progress' && opts.preDeployCwd && !d.fault) runPreDeploy(d, s);
  }

  function step() {
    for (const list of deploys.values()) for (const d of [...list]) stepDeploy(d);
  }
  const timer = advance === 'timer' ? setInterval(step, stepMs) : undefined;
  timer?.unref();

  function rateLimited(serviceId: string) {
    const forced = forced429.get(serviceId);
    if (forced && forced.n > 0) {
      forced.n--;
      throw new HttpError(429, 'rate limit exceeded', {
        'Retry-After': String(forced.retryAfter),
        'Ratelimit-Remaining': '0',
      });
    }
    const now = Date.now();
    const recent = (triggers.get(serviceId) ?? []).filter((t) => now - t < limit.windowMs);
    if (recent.length >= limit.limit)
      throw new HttpError(429, 'rate limit exceeded', {
        'Retry-After': String(limit.retryAfterSeconds),
        'Ratelimit-Remaining': '0',
      });
    recent.push(now);
    triggers.set(serviceId, recent);
  }

  function metrics(url: URL) {
    const serviceId = url.searchParams.get('resource') ?? '';
    const parseTime = (v: string | null, dflt: number) =>
      v ? (/^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v)) : dflt;
    const end = parseTime(url.searchParams.get('endTime'), Date.now());
    const start = parseTime(url.searchParams.get('startTime'), end - 3600_000);
    const byCode = new Map<string, { timestamp: string; value: number }[]>();
    const add = (code: number, at: number, value: number) => {
      const list = byCode.get(String(code)) ?? [];
      list.push({ timestamp: new Date(at).toISOString(), value });
      byCode.set(String(code), list);
    };
    for (const p of points)
      if (p.serviceId === serviceId && p.at >= start && p.at <= end) add(p.statusCode, p.at, p.count);
    const t = traffic.get(serviceId);
    if (t) {
      const counts = t(liveOf(serviceId));
      if (counts.ok) add(200, end, counts.ok);
      if (counts.errors) add(500, end, counts.errors);
    }
    return [...byCode].map(([code, values]) => ({
      labels: [
        { field: 'resource', value: serviceId },
        { field: 'statusCode', value: code },
      ],
      unit: 'count',
      values,
    }));
  }

  async function copyDatabase(from: string, to: string) {
    const c = opts.cluster;
    if (!c) throw new Error('render-sim: PITR needs the `cluster` option');
    const bin = c.binDir ?? findPgBinDir();
    await adminQuery(c.url('postgres'), `CREATE DATABASE "${to}"`);
    createdDbs.push(to);
    const dir = mkdtempSync(join(tmpdir(), 'pgward-rsim-'));
    workDirs.push(dir);
    const dump = join(dir, 'copy.dump');
    await execFileP(join(bin, 'pg_dump'), ['-Fc', '-f', dump, '-d', c.url(from)]);
    await execFileP(join(bin, 'pg_restore'), ['--no-owner', '-d', c.url(to), dump]);
    rmSync(dir, { recursive: true, force: true });
  }

  function recover(src: SimPostgres, body: Record<string, unknown>) {
    const restoreTime = typeof body.restoreTime === 'string' ? body.restoreTime : '';
    const at = Date.parse(restoreTime);
    if (!restoreTime || Number.isNaN(at)) throw new HttpError(400, 'restoreTime must be a date-time');
    if (src.recoveryStatus !== 'AVAILABLE')
      throw new HttpError(400, 'point-in-time recovery is not available');
    if (at < Date.parse(src.startsAt) || at > Date.now() + 1000)
      throw new HttpError(400, 'restoreTime is outside the recovery window');
    const id = `dpg-${xid()}-a`;
    const database = `${src.database}_pitr_${randomBytes(3).toString('hex')}`;
    const p: SimPostgres = {
      id,
      name: typeof body.restoreName === 'string' ? body.restoreName : `${src.name}-pitr`,
      plan: typeof body.plan === 'string' ? body.plan : src.plan,
      status: 'creating',
      database,
      recoveryStatus: 'BACKUP_NOT_READY',
      startsAt: nowIso(),
      createdAt: nowIso(),
      restoredFrom: { id: src.id, restoreTime },
      exports: [],
    };
    postgres.set(id, p);
    const started = Date.now();
    copyDatabase(src.database, database).then(
      () =>
        setTimeout(() => (p.status = 'available'), Math.max(0, stepMs * 3 - (Date.now() - started))).unref(),
      () => (p.status = 'recovery_failed'),
    );
    return p;
  }

  async function runExport(p: SimPostgres) {
    const c = opts.cluster;
    if (!c) throw new Error('render-sim: exports need the `cluster` option');
    const bin = c.binDir ?? findPgBinDir();
    const dir = mkdtempSync(join(tmpdir(), 'pgward-rsim-'));
    workDirs.push(dir);
    const id = `exp-${xid()}`;
    const createdAt = nowIso();
    const dumpDir = join(dir, `${p.database}.dir`);
    await execFileP(join(bin, 'pg_dump'), ['-Fd', '-f', dumpDir, '-d', c.url(p.database)]);
    const file = join(dir, 'export.dir.tar.gz');
    await execFileP('tar', ['-czf', file, '-C', dir, `${p.database}.dir`]);
    p.exports.unshift({ id, createdAt, url: `${base}/exports/${p.id}/${id}/export.dir.tar.gz`, file });
  }

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpError(400, 'invalid JSON body');
    }
  }

  type Result = { status: number; body?: unknown };
  async function route(method: string, url: URL, req: IncomingMessage): Promise<Result> {
    const p = url.pathname.replace(/^\/v1/, '');
    if (method === 'GET' && p === '/services')
      return { status: 200, body: paginate([...services.values()], 'service', url, serviceJson) };
    const m1 = p.match(/^\/services\/([^/]+)$/);
    if (m1) {
      const s = serviceOr404(m1[1] as string);
      if (method === 'GET') return { status: 200, body: serviceJson(s) };
      if (method === 'PATCH') {
        const body = (await readBody(req)) as { serviceDetails?: Record<string, unknown> };
        s.patches.push(body);
        const sd = body.serviceDetails ?? {};
        if ('preDeployCommand' in sd) {
          if (s.plan === 'free' || !['web_service', 'private_service', 'background_worker'].includes(s.type))
            throw new HttpError(
              400,
              'pre-deploy commands are only available on paid web services, private services and background workers',
            );
          s.preDeployCommand = String(sd.preDeployCommand ?? '') || undefined;
        }
        if (typeof sd.healthCheckPath === 'string') s.healthCheckPath = sd.healthCheckPath;
        if (typeof sd.plan === 'string') s.plan = sd.plan;
        return { status: 200, body: serviceJson(s) };
      }
    }
    const m2 = p.match(/^\/services\/([^/]+)\/deploys$/);
    if (m2) {
      const s = serviceOr404(m2[1] as string);
      if (method === 'GET') {
        let list = deploys.get(s.id) ?? [];
        const statuses = url.searchParams.getAll('status');
        if (statuses.length && !opts.ignoreStatusFilter)
          list = list.filter((d) => statuses.includes(d.status));
        return { status: 200, body: paginate(list, 'deploy', url, deployJson) };
      }
      if (method === 'POST') {
        const body = (await readBody(req)) as { commitId?: string };
        rateLimited(s.id);
        const busy = !!inProgress(s.id);
        if (opts.createDeployStatus === 202 && opts.acceptedDeployDelayMs) {
          setTimeout(
            () => newDeploy(s, 'api', body.commitId, !!inProgress(s.id)),
            opts.acceptedDeployDelayMs,
          ).unref();
          return { status: 202 };
        }
        const d = newDeploy(s, 'api', body.commitId, busy);
        if (busy || opts.createDeployStatus === 202) return { status: 202 };
        return { status: 201, body: deployJson(d) };
      }
    }
    const m3 = p.match(/^\/services\/([^/]+)\/deploys\/([^/]+)(\/cancel)?$/);
    if (m3) {
      const s = serviceOr404(m3[1] as string);
      const d = (deploys.get(s.id) ?? []).find((x) => x.id === m3[2]);
      if (!d) throw new HttpError(404, 'deploy not found');
      if (method === 'GET' && !m3[3]) {
        if (advance === 'poll') stepDeploy(d);
        return { status: 200, body: deployJson(d) };
      }
      if (method === 'POST' && m3[3]) {
        if (TERMINAL.has(d.status)) throw new HttpError(409, `deploy is ${d.status} and cannot be canceled`);
        killGroup(d.running, 'SIGTERM');
        finish(d, 'canceled');
        return { status: 200, body: deployJson(d) };
      }
    }
    const m4 = p.match(/^\/services\/([^/]+)\/rollback$/);
    if (m4 && method === 'POST') {
      const s = serviceOr404(m4[1] as string);
      const body = (await readBody(req)) as { deployId?: string };
      const target = (deploys.get(s.id) ?? []).find((x) => x.id === body.deployId);
      if (!target) throw new HttpError(404, 'deploy not found');
      rateLimited(s.id);
      const d = newDeploy(s, 'rollback', target.commit.id, !!inProgress(s.id));
      d.plan = d.plan.filter((x) => x !== 'pre_deploy_in_progress'); // guess (verify): a rollback reuses the build
      return { status: 201, body: deployJson(d) };
    }
    const m5 = p.match(/^\/services\/([^/]+)\/env-vars$/);
    if (m5) {
      const s = serviceOr404(m5[1] as string);
      const toJson = ([key, value]: [string, string]) => ({ key, value });
      if (method === 'GET') return { status: 200, body: paginate([...s.env], 'envVar', url, toJson) };
      if (method === 'PUT') {
        const body = (await readBody(req)) as { key: string; value?: string; generateValue?: boolean }[];
        if (!Array.isArray(body)) throw new HttpError(400, 'body must be an array of env vars');
        s.env = new Map(
          body.map((e) => [e.key, e.generateValue ? randomBytes(16).toString('hex') : String(e.value ?? '')]),
        );
        return {
          status: 200,
          body: [...s.env].map((e, i) => ({
            envVar: toJson(e),
            cursor: Buffer.from(String(i + 1)).toString('base64'),
          })),
        };
      }
    }
    const m6 = p.match(/^\/services\/([^/]+)\/env-vars\/([^/]+)$/);
    if (m6) {
      const s = serviceOr404(m6[1] as string);
      const key = decodeURIComponent(m6[2] as string);
      if (method === 'GET') {
        const v = s.env.get(key);
        if (v === undefined) throw new HttpError(404, 'env var not found');
        return { status: 200, body: { key, value: v } };
      }
      if (method === 'PUT') {
        const body = (await readBody(req)) as { value?: string; generateValue?: boolean };
        const v = body.generateValue ? randomBytes(16).toString('hex') : body.value;
        if (typeof v !== 'string') throw new HttpError(400, 'value is required');
        s.env.set(key, v);
        return { status: 200, body: { key, value: v } };
      }
      if (method === 'DELETE') {
        if (!s.env.delete(key)) throw new HttpError(404, 'env var not found');
        return { status: 204 };
      }
    }
    if (method === 'GET' && p === '/metrics/http-requests') return { status: 200, body: metrics(url) };
    if (method === 'GET' && p === '/postgres')
      return { status: 200, body: paginate([...postgres.values()], 'postgres', url, pgJson) };
    const m7 = p.match(/^\/postgres\/([^/]+)(\/connection-info|\/recovery|\/export)?$/);
    if (m7) {
      const pg = pgOr404(m7[1] as string);
      const sub = m7[2];
      if (method === 'GET' && !sub) return { status: 200, body: pgJson(pg) };
      if (method === 'GET' && sub === '/connection-info') {
        const c = opts.cluster;
        const ext = c
          ? c.url(pg.database)
          : `postgresql://app:pw@${pg.id}.oregon-postgres.render.com/${pg.database}`;
        const u = new URL(ext);
        const internal = new URL(ext);
        internal.hostname = pg.id;
        internal.port = '';
        return {
          status: 200,
          body: {
            password: decodeURIComponent(u.password),
            internalConnectionString: internal.toString(),
            externalConnectionString: ext,
            psqlCommand: `PGPASSWORD=${decodeURIComponent(u.password)} psql -h ${u.hostname} -p ${u.port} -U ${u.username} ${pg.database}`,
          },
        };
      }
      if (method === 'GET' && sub === '/recovery')
        return {
          status: 200,
          body: {
            recoveryStatus: pg.recoveryStatus,
            ...(pg.recoveryStatus === 'AVAILABLE' ? { startsAt: pg.startsAt } : {}),
          },
        };
      if (method === 'POST' && sub === '/recovery')
        return { status: 200, body: pgJson(recover(pg, (await readBody(req)) as Record<string, unknown>)) };
      if (method === 'POST' && sub === '/export') {
        runExport(pg).catch(() => undefined);
        return { status: 202 };
      }
      if (method === 'GET' && sub === '/export')
        return {
          status: 200,
          body: pg.exports.map(({ id, createdAt, url: u }) => ({ id, createdAt, url: u })),
        };
    }
    throw new HttpError(404, `no route for ${method} ${p}`);
  }

  function serveExport(url: URL, res: ServerResponse): boolean {
    const m = url.pathname.match(/^\/exports\/([^/]+)\/([^/]+)\/export\.dir\.tar\.gz$/);
    if (!m) return false;
    const exp = postgres.get(m[1] as string)?.exports.find((e) => e.id === m[2]);
    if (!exp) {
      res.writeHead(404).end();
      return true;
    }
    res.writeHead(200, {
      'Content-Type': 'application/gzip',
      'Content-Length': String(statSync(exp.file).size),
    });
    createReadStream(exp.file).pipe(res);
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    if (serveExport(url, res)) return; // a pre-signed download link: no API key (as Render's export url)
    const log: RequestLogEntry = {
      method,
      path: url.pathname + url.search,
      status: 0,
      authorization: req.headers.authorization,
      at: Date.now(),
    };
    requests.push(log);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      const h = {
        'Ratelimit-Limit': '400',
        'Ratelimit-Remaining': '399',
        'Ratelimit-Reset': '60',
        ...headers,
      };
      if (body === undefined) res.writeHead(status, h).end();
      else res.writeHead(status, { ...h, 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (outage.n > 0 && (!outage.method || outage.method === method)) {
      outage.n--;
      if (outage.kind === 'reset') {
        log.status = -1;
        req.socket.destroy();
        return;
      }
      return send(503, { id: xid(), message: 'service unavailable' });
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return send(401, { id: xid(), message: 'unauthorized' });
    try {
      const r = await route(method, url, req);
      send(r.status, r.body);
    } catch (err) {
      if (err instanceof HttpError) return send(err.status, { id: xid(), message: err.message }, err.headers);
      send(500, { id: xid(), message: `simulator error: ${(err as Error).message}` });
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  const sim: RenderSim = {
    url: `${base}/v1`,
    apiKey,
    requests,
    addService(o = {}) {
      const s: SimService = {
        id: o.id ?? `srv-${xid()}`,
        name: o.name ?? 'api',
        type: o.type ?? 'web_service',
        plan: o.plan ?? 'starter',
        ...(o.preDeployCommand ? { preDeployCommand: o.preDeployCommand } : {}),
        ...(o.healthCheckPath ? { healthCheckPath: o.healthCheckPath } : {}),
        env: new Map(Object.entries(o.env ?? {})),
        patches: [],
      };
      services.set(s.id, s);
      if (o.liveCommit !== null) {
        const d = newDeploy(s, 'new_commit', o.liveCommit);
        d.startedAt = d.createdAt;
        finish(d, 'live');
      }
      return s;
    },
    addPostgres(o) {
      const p: SimPostgres = {
        id: o.id ?? `dpg-${xid()}-a`,
        name: o.name ?? 'app-db',
        plan: o.plan ?? 'basic_1gb',
        status: 'available',
        database: o.database,
        recoveryStatus: o.recoveryStatus ?? 'AVAILABLE',
        startsAt: (o.startsAt ?? new Date(Date.now() - 3 * 86400_000)).toISOString(),
        createdAt: nowIso(),
        exports: [],
      };
      postgres.set(p.id, p);
      return p;
    },
    service: serviceOr404,
    deploys: (id) => deploys.get(id) ?? [],
    liveDeploy: liveOf,
    postgres: pgOr404,
    allPostgres: () => [...postgres.values()],
    recordRequests(serviceId, statusCode, count, at = new Date()) {
      points.push({ serviceId, statusCode, count, at: at.getTime() });
    },
    setTraffic(serviceId, t) {
      if (t) traffic.set(serviceId, t);
      else traffic.delete(serviceId);
    },
    faults: {
      failNextDeploy: (serviceId, fault) => nextFault.set(serviceId, fault),
      outage: (n, kind = '503', onlyMethod) => {
        outage = { n, kind, method: onlyMethod };
      },
      rateLimitNext: (serviceId, n, retryAfter = 1) => forced429.set(serviceId, { n, retryAfter }),
      spike5xx: (serviceId, count, statusCode = 500) =>
        points.push({ serviceId, statusCode, count, at: Date.now() }),
    },
    step,
    async close() {
      if (timer) clearInterval(timer);
      for (const c of children) killGroup(c, 'SIGKILL');
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const d of workDirs) rmSync(d, { recursive: true, force: true });
      if (opts.cluster)
        for (const db of createdDbs)
          await adminQuery(
            opts.cluster.url('postgres'),
            `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`,
          ).catch(() => undefined);
    },
  };
  return sim;
}
