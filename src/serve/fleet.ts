// startFleet: one serve process for many environments (`pgward serve --all`). Each environment keeps
// its own refresh loop, scheduler and alerts, as with one environment; what they share is bounded:
// refreshes (and housekeeping sweeps) take a slot of one limit (serve.refresh_concurrency), scheduled
// jobs one of another (serve.jobs.concurrency). The first serve.connections_per_server environments of
// each database server keep their connection between refreshes; the others end theirs when a refresh
// is done, so a server sees at most that budget plus refresh_concurrency monitoring connections from
// one process, whatever the number of environments. The HTTP
// side answers from bodies combined after refreshes (never on a request): /metrics labels every sample
// with env, each family printed once.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadedConfig } from '../config/load.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { Limiter } from '../db/limit.js';
import { thresholdsFor } from '../doctor/doctor.js';
import { ServerShare } from '../doctor/server-share.js';
import { serverOf } from '../identity/probe.js';
import { redact } from '../redact.js';
import { Alerter, type Logger } from './alerts.js';
import type { ServeSettings } from './config.js';
import { createHttpServer, precompress } from './http.js';
import { type Family, metricFamilies } from './metrics.js';
import { Monitor, type RefreshGauge } from './monitor.js';
import { Scheduler } from './scheduler.js';
import { listen } from './serve.js';
import type { Rendered } from './state.js';

export interface FleetEnvironment {
  /** A named environment's target (its env is the name every figure and job is recorded under). */
  target: Target & { env: string };
  source: MigrationsSource | undefined;
}

export interface FleetOptions {
  config: LoadedConfig | undefined;
  environments: FleetEnvironment[];
  settings: ServeSettings;
  /** Run the environments' schedules (default true). */
  scheduler?: boolean;
  log?: Logger;
}

export interface FleetMember {
  env: string;
  monitor: Monitor;
  scheduler: Scheduler | undefined;
}

/** What the shared limits have seen: the figures behind the concurrency promise. */
export interface FleetStats {
  environments: number;
  refreshLimit: number;
  /** Refreshes running now, and the most that ever ran at once. */
  refreshing: number;
  peakRefreshing: number;
  jobLimit: number;
  peakJobs: number;
}

export interface FleetHandle {
  url: string;
  port: number;
  members: FleetMember[];
  stats(): FleetStats;
  close(): Promise<void>;
}

/**
 * What `pgward serve --all` does: /health and /metrics of many environments from one process, their
 * refreshes and jobs within shared concurrency limits.
 *
 * @example
 * ```ts
 * import { loadConfig, resolveTarget, serveSettings, startFleet } from 'pgward';
 * const config = loadConfig('pgward.yaml');
 * const environments = Object.keys(config.raw.environments ?? {}).map((env) => ({
 *   target: { ...resolveTarget({ config, env }), env },
 *   source: undefined,
 * }));
 * const fleet = await startFleet({ config, environments, settings: serveSettings(config) });
 * console.log(fleet.url, fleet.stats().peakRefreshing);
 * await fleet.close();
 * ```
 */
export async function startFleet(o: FleetOptions): Promise<FleetHandle> {
  const log = o.log ?? (() => {});
  const s = o.settings;
  const refreshLimiter = new Limiter(s.refreshConcurrency);
  const jobLimiter = new Limiter(s.jobConcurrency);
  const gauge: RefreshGauge = { active: 0, peak: 0 };
  const view = new FleetView(
    () => members,
    () => stats(),
  );
  const keep = keptConnections(o.environments, s.connectionsPerServer);
  const share = new ServerShare(s.refreshMs / 2);
  const members: FleetMember[] = o.environments.map((e) =>
    member(o, e, { refreshLimiter, jobLimiter, gauge, keep, share, onRendered: (m) => view.changed(m) }, log),
  );
  const stats = (): FleetStats => ({
    environments: members.length,
    refreshLimit: refreshLimiter.max,
    refreshing: gauge.active,
    peakRefreshing: gauge.peak,
    jobLimit: jobLimiter.max,
    peakJobs: jobLimiter.peak,
  });
  await Promise.all(members.map((m) => m.monitor.start()));
  view.rebuild();
  const server = createHttpServer(() => view.rendered, s.token);
  await listen(server, s).catch(async (err) => {
    await Promise.all(members.map((m) => m.monitor.stop()));
    throw err;
  });
  for (const m of members) m.scheduler?.start();
  const port = (server.address() as AddressInfo).port;
  const host = s.bind.includes(':') ? `[${s.bind}]` : s.bind;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    members,
    stats,
    close: () => {
      closing ??= closeFleet(server, members, view);
      return closing;
    },
  };
}

async function closeFleet(server: http.Server, members: FleetMember[], view: FleetView): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), 5_000);
  await Promise.all(members.map((m) => m.scheduler?.stop()));
  await Promise.all(members.map((m) => m.monitor.stop()));
  view.stop();
  await closed;
  clearTimeout(force);
}

/**
 * The environments whose connection stays open between refreshes: the first `perServer` of each
 * database server, in pgward.yaml's order. A new connection costs the server a process start and cold
 * catalog caches: on the bench's 2-core machine a refresh on a kept connection costs the server 14 ms
 * of CPU, one that connects 68 ms. The budget keeps a fleet of databases sharing one server within
 * that server's max_connections; environments on servers of their own all keep theirs.
 */
export function keptConnections(envs: FleetEnvironment[], perServer: number): Set<string> {
  const perKey = new Map<string, number>();
  const kept = new Set<string>();
  for (const e of envs) {
    // host and port (and role): a URL that names its database otherwise counts as a server of its own
    const key = serverOf(e.target.url)?.key ?? e.target.url;
    const n = perKey.get(key) ?? 0;
    if (n >= perServer) continue;
    perKey.set(key, n + 1);
    kept.add(e.target.env);
  }
  return kept;
}

interface Shared {
  keep: Set<string>;
  /** One session scan per server (and role) for every environment on it, per half refresh interval. */
  share: ServerShare;
  refreshLimiter: Limiter;
  jobLimiter: Limiter;
  gauge: RefreshGauge;
  onRendered: (m: FleetMember) => void;
}

/** One environment of the fleet: its monitor and scheduler, on the shared limits. */
function member(o: FleetOptions, e: FleetEnvironment, sh: Shared, log: Logger): FleetMember {
  const env = e.target.env;
  const say: Logger = (line) => log(`[${env}] ${line}`);
  const alerter = new Alerter(env, o.settings.webhookUrl, say);
  const schedule = o.config?.raw.environments?.[env]?.schedule;
  const m: FleetMember = { env, monitor: undefined as unknown as Monitor, scheduler: undefined };
  if (o.scheduler !== false)
    m.scheduler = new Scheduler({
      env,
      schedule,
      config: o.config,
      context: { config: o.config, target: e.target, source: e.source, share: sh.share },
      alerter,
      log: say,
      onRun: () => m.monitor.kick(),
      hint: () => m.monitor?.keptClient(),
      leaseMs: o.settings.jobLeaseMs,
      refreshMs: o.settings.refreshMs,
      retention: { keepDays: o.settings.historyKeepDays, keepRuns: o.settings.historyKeepRuns },
      sweepLimiter: sh.refreshLimiter,
      jobLimiter: sh.jobLimiter,
    });
  m.monitor = new Monitor({
    target: e.target,
    source: e.source,
    config: o.config,
    thresholds: thresholdsFor(o.config, env),
    settings: o.settings,
    alerter,
    scheduler: m.scheduler,
    log: say,
    label: o.config?.raw.environments?.[env]?.label,
    limiter: sh.refreshLimiter,
    closeAfterRefresh: !sh.keep.has(env),
    gauge: sh.gauge,
    share: sh.share,
    onRendered: () => sh.onRendered(m),
  });
  return m;
}

/** How often at most the combined bodies are rebuilt while refreshes keep finishing. */
const REBUILD_EVERY_MS = 1_000;

/** One environment's samples of one metric family, already redacted (rendered when it refreshed). */
interface EnvFamily {
  head: string;
  text: string;
}

/**
 * The fleet's response bodies, combined from the members' last snapshots a moment after refreshes
 * finish (at most every REBUILD_EVERY_MS), so a request reads a string and never waits for a build.
 * Each environment's part of /metrics is rendered and redacted when that environment refreshes; a
 * rebuild only concatenates (with 200 environments, re-rendering and redacting 1.4 MiB four times a
 * second took a sixth of the process's CPU).
 */
class FleetView {
  rendered: Rendered | undefined;
  private readonly families = new Map<string, Map<string, EnvFamily>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly members: () => FleetMember[],
    private readonly stats: () => FleetStats,
  ) {}

  changed(m: FleetMember): void {
    const snap = m.monitor.snapshot;
    if (snap) {
      const mine = new Map<string, EnvFamily>();
      for (const [name, f] of metricFamilies(snap, { env: m.env }))
        mine.set(name, { head: f.head, text: redact(f.lines.join('\n')) });
      this.families.set(m.env, mine);
    }
    if (this.rendered && !this.timer && !this.stopped)
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.rebuild();
      }, REBUILD_EVERY_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  rebuild(): void {
    const members = this.members();
    const rs = members.map((m) => [m.env, m.monitor.rendered] as const);
    const statuses = rs.map(([, r]) => r?.status ?? 'down');
    const status = statuses.every((x) => x === 'down')
      ? 'down'
      : statuses.every((x) => x === 'ok')
        ? 'ok'
        : 'degraded';
    const obj = (pick: (r: Rendered) => string) =>
      `{${rs.map(([env, r]) => `${JSON.stringify(env)}:${r ? pick(r) : 'null'}`).join(',')}}`;
    const count = (x: string) => statuses.filter((st) => st === x).length;
    const head = `"status":"${status}","environments":${members.length},"ok":${count('ok')},"degraded":${count('degraded')},"down":${count('down')}`;
    const st = this.stats();
    const own: Map<string, Family> = new Map([
      fleetGauge('pgward_fleet_environments', 'Environments this process serves.', st.environments),
      fleetGauge('pgward_fleet_refresh_concurrency', 'Refreshes allowed to run at once.', st.refreshLimit),
      fleetGauge(
        'pgward_fleet_refresh_concurrency_peak',
        'Most refreshes seen running at once.',
        st.peakRefreshing,
      ),
    ]);
    this.rendered = {
      status,
      // A fleet answers 503 only when no environment answers: one database down is a degraded fleet.
      code: status === 'down' ? 503 : 200,
      health: `{${head},"by_env":${obj((r) => r.health)}}`,
      healthSummary: `{${head},"by_env":${obj((r) => JSON.stringify(r.status))}}`,
      migrations: obj((r) => r.migrations),
      metrics: joinEnvFamilies(own, this.families.values()),
      dashboards: rs.flatMap(([, r]) => (r?.dashboard ? [r.dashboard] : [])),
    };
    precompress(this.rendered);
  }
}

/** Every family once: its head, then each environment's samples (the fleet's own gauges first). */
function joinEnvFamilies(own: Map<string, Family>, envs: Iterable<Map<string, EnvFamily>>): string {
  const out: string[] = [];
  for (const f of own.values()) out.push(f.head, ...f.lines);
  const merged = new Map<string, string[]>();
  for (const fams of envs)
    for (const [name, f] of fams) {
      const parts = merged.get(name) ?? [f.head];
      merged.set(name, parts);
      if (f.text) parts.push(f.text);
    }
  for (const parts of merged.values()) out.push(...parts);
  return `${out.join('\n')}\n`;
}

function fleetGauge(name: string, help: string, v: number): [string, Family] {
  return [name, { head: `# HELP ${name} ${help}\n# TYPE ${name} gauge`, lines: [`${name} ${v}`] }];
}
