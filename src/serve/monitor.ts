// The refresh loop: one doctor pass per interval over a kept-open connection, turned into a snapshot
// whose response bodies are rendered once. Requests only read the last snapshot, so the database sees
// the same few queries per interval whatever the request rate. Refreshes never overlap (each waits
// for the previous one), and one that hangs is cut off and reported as the database being down.
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { appName, connect } from '../db/connect.js';
import type { Limiter } from '../db/limit.js';
import { runDoctor } from '../doctor/doctor.js';
import type { ServerShare } from '../doctor/server-share.js';
import { prepareSession } from '../doctor/sql.js';
import type { Thresholds } from '../doctor/thresholds.js';
import type { DoctorReport } from '../doctor/types.js';
import { formatDuration, SUMMARY } from '../format/units.js';
import { redact, redactDeep } from '../redact.js';
import type { Alerter, Condition, Logger } from './alerts.js';
import type { ServeSettings } from './config.js';
import {
  backupEntries,
  collectDashboard,
  type DashboardData,
  emptyDashboardData,
} from './dashboard/collect.js';
import { GateCache } from './dashboard/gates.js';
import { dashboardView } from './dashboard/view.js';
import { healthBody, healthStatus, migrationsBody, summaryBody } from './health.js';
import { renderMetrics } from './metrics.js';
import type { Scheduler } from './scheduler.js';
import type { JobState, Rendered, Snapshot } from './state.js';
import { ensureTables, lastRuns, recordPending } from './store.js';

export interface MonitorOptions {
  target: Target & { env: string };
  source: MigrationsSource | undefined;
  config: LoadedConfig | undefined;
  thresholds: Thresholds;
  settings: ServeSettings;
  alerter: Alerter;
  scheduler: Scheduler | undefined;
  log: Logger;
  /** environments.<env>.label, shown by the dashboard. */
  label?: string | undefined;
  /** Serving several environments: every refresh takes a slot of this shared limit. */
  limiter?: Limiter;
  /** End the connection after each refresh (many environments: connections stay within the limit). */
  closeAfterRefresh?: boolean;
  /** Refreshes running now and the most seen at once, across the monitors sharing it (instrumentation). */
  gauge?: RefreshGauge;
  /** Called after each refresh rendered a new snapshot. */
  onRendered?: () => void;
  /** Readings of the whole server shared with the fleet's other environments on it. */
  share?: ServerShare | undefined;
}

export interface RefreshGauge {
  active: number;
  peak: number;
}

export class Monitor {
  rendered: Rendered | undefined;
  /** The snapshot behind `rendered` (a fleet renders its combined metrics from it). */
  snapshot: Snapshot | undefined;
  private client: pg.Client | null = null;
  private tables: 'unknown' | 'ready' | 'unavailable' = 'unknown';
  private readonly pendingSeen = new Map<string, string>();
  private jobs: JobState[] = [];
  private dashboard: DashboardData = emptyDashboardData();
  private readonly gates = new GateCache();
  private refreshes = 0;
  private refreshErrors = 0;
  private readonly startedAt = new Date().toISOString();
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;
  private wasDown = false;
  private closedOnPurpose = false;

  constructor(private readonly o: MonitorOptions) {}

  /** First refresh, then one per interval. */
  async start(): Promise<void> {
    await this.refreshOnce();
    this.schedule(this.o.settings.refreshMs);
  }

  /**
   * The connection this monitor keeps open between refreshes, once serve's tables are checked on it; none
   * for a monitor that connects per refresh. For reads that only hint (the scheduler's "slot taken?"): a
   * refresh may be using it, so a caller never changes the session's state or opens a transaction on it.
   */
  keptClient(): pg.Client | undefined {
    if (this.o.closeAfterRefresh || this.tables !== 'ready') return undefined;
    return this.client ?? undefined;
  }

  /** Refresh soon (after a job ran), without waiting for the interval. */
  kick(): void {
    if (!this.stopped) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current?.catch(() => {});
    await this.client?.end().catch(() => {});
    this.client = null;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      if (this.stopped) return;
      // A kick and the interval's timer may both be waiting here: they refresh one after the other,
      // never together (two refreshes at once would each open a connection of their own).
      while (this.current) await this.current.catch(() => {});
      if (this.stopped) return;
      await this.refreshOnce();
      if (!this.stopped) this.schedule(this.o.settings.refreshMs);
    }, ms);
  }

  private refreshOnce(): Promise<void> {
    const { limiter } = this.o;
    const work = () => this.counted();
    const p = (limiter ? limiter.run(work) : work()).catch((err) =>
      this.o.log(`refresh failed: ${redact((err as Error).message)}`),
    );
    this.current = p;
    return p.finally(() => {
      if (this.current === p) this.current = undefined;
    });
  }

  private async counted(): Promise<void> {
    const g = this.o.gauge;
    if (g) g.peak = Math.max(g.peak, ++g.active);
    try {
      if (!this.stopped) await this.refresh();
    } finally {
      if (g) g.active--;
      if (this.o.closeAfterRefresh && this.client) {
        const c = this.client;
        this.client = null;
        // Ended on purpose, not lost: the next connection need not check the tables again.
        this.closedOnPurpose = true;
        await c.end().catch(() => {});
      }
    }
  }

  private async ensureClient(): Promise<string | undefined> {
    const { settings } = this.o;
    if (!this.client) {
      try {
        const c = await connect(this.o.target.url, {
          applicationName: appName('serve monitor'),
          connectTimeoutMs: Math.min(10_000, Math.max(2_000, settings.refreshMs * 5)),
        });
        await prepareSession(c, Math.min(10_000, Math.max(1_000, settings.refreshMs * 5)));
        this.client = c;
      } catch (err) {
        return (err as Error).message;
      }
      // Every new connection re-checks the tables: the database may have been restored or recreated
      // (a missing table is still noticed by the queries that use it: 42P01 resets the state).
      if (this.tables === 'ready' && !this.closedOnPurpose) this.tables = 'unknown';
      this.closedOnPurpose = false;
    }
    if (this.tables === 'ready') return undefined;
    try {
      await ensureTables(this.client);
      await this.o.alerter.load(this.client);
      this.tables = 'ready';
    } catch (err) {
      if (this.tables !== 'unavailable')
        this.o.log(
          `cannot create pgward.jobs/alerts/monitor_pending (${redact((err as Error).message)}): the scheduler cannot run and alerts are deduplicated in this process only`,
        );
      this.tables = 'unavailable';
    }
    return undefined;
  }

  private async refresh(): Promise<void> {
    const t0 = Date.now();
    const unreachable = await this.ensureClient();
    const { report, backups } = await this.checkWithDeadline(this.client, unreachable);
    if (!report.connected && this.client) {
      // The connection is broken (or the server went away): drop it, reconnect next time.
      const c = this.client;
      this.client = null;
      c.end().catch(() => {});
    }
    this.refreshes++;
    if (!report.connected) this.refreshErrors++;
    if (report.connected !== !this.wasDown) {
      this.o.log(
        report.connected
          ? 'database reachable again'
          : `database unreachable: ${report.checks[0]?.summary ?? ''}`,
      );
      this.wasDown = !report.connected;
    }
    if (report.connected && this.client && this.tables === 'ready') {
      try {
        const runs = await lastRuns(this.client, this.o.target.env);
        this.jobs = this.jobStates(new Map(runs.map((r) => [r.last.job, r])));
      } catch (err) {
        if ((err as { code?: string }).code === '42P01') this.tables = 'unknown';
        else this.o.log(`cannot read job history: ${redact((err as Error).message)}`);
      }
    } else
      this.jobs = this.jobStates(
        new Map(this.jobs.filter((j) => j.last).map((j) => [j.job, { last: j.last!, lastOkAt: j.lastOkAt }])),
      );
    await this.collectDashboard(report, backups);
    const db = report.connected && this.tables === 'ready' ? this.client : null;
    // The scheduler's housekeeping rides on this connection when due (no connection of its own).
    if (db) await this.o.scheduler?.sweepOn(db);
    const [downCondition, ...rest] = this.conditions(report);
    // Raised while the database was down, so only this process knows it: resolved the same way.
    await this.o.alerter.apply([downCondition!], null);
    await this.o.alerter.apply(rest, db);
    // Job alerts are raised and cleared by whichever replica ran the job: read back the shared set.
    if (db) await this.o.alerter.load(db).catch(() => {});
    this.render(report, Date.now() - t0);
  }

  /** The doctor's pass on `client`, cut off (and reported as the database being down) past its deadline. */
  private async checkWithDeadline(
    client: pg.Client | null,
    unreachable: string | undefined,
  ): Promise<{ report: DoctorReport; backups: DashboardData['backups'] | undefined }> {
    const deadlineMs = Math.max(5_000, this.o.settings.refreshMs * 5);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`refresh took longer than ${formatDuration(deadlineMs, SUMMARY)}`)),
        deadlineMs,
      );
    });
    let backups: DashboardData['backups'] | undefined;
    try {
      const report = await Promise.race([
        runDoctor({
          target: this.o.target,
          source: this.o.source,
          config: this.o.config,
          thresholds: this.o.thresholds,
          ...(client ? { client } : { unreachable: unreachable ?? 'not connected' }),
          pendingSince: (tt, versions) => this.pendingSince(tt, versions),
          share: this.o.share,
          onBackups: (list) => {
            backups = backupEntries(list);
          },
        }),
        deadline,
      ]);
      return { report, backups };
    } catch (err) {
      const report = await runDoctor({
        target: this.o.target,
        config: this.o.config,
        thresholds: this.o.thresholds,
        unreachable: (err as Error).message,
      });
      return { report, backups };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The dashboard's data, read here once per refresh so that no page load queries the database. */
  private async collectDashboard(report: DoctorReport, backups: DashboardData['backups'] | undefined) {
    let next: DashboardData = { ...this.dashboard, backups: backups ?? this.dashboard.backups };
    if (report.connected && this.client) {
      try {
        const read = await collectDashboard(this.client, this.o.target.env, this.o.settings.dashboardJobRuns);
        const approvalsKey = read.approvals.map((a) => `${a.version}@${a.at}`).join(',');
        const g = await this.gates.read(
          this.client,
          this.o.target,
          this.o.source,
          report.migrations,
          approvalsKey,
        );
        next = {
          ...read,
          backups: next.backups,
          gates: g.gates,
          errors: [...read.errors, ...(g.error ? [g.error] : [])],
        };
      } catch (err) {
        next = { ...next, errors: [`cannot read the dashboard's tables: ${redact((err as Error).message)}`] };
      }
    }
    this.dashboard = next;
  }

  private async pendingSince(trackingTable: string, versions: string[]): Promise<Map<string, string>> {
    if (this.tables === 'ready' && this.client) {
      try {
        return await recordPending(this.client, trackingTable, versions);
      } catch (err) {
        if ((err as { code?: string }).code !== '42P01') throw err;
        // Dropped under us (a restore?): recreated at the next refresh, remembered in memory meanwhile.
        this.tables = 'unknown';
      }
    }
    const now = new Date().toISOString();
    for (const v of versions) if (!this.pendingSeen.has(v)) this.pendingSeen.set(v, now);
    for (const v of [...this.pendingSeen.keys()]) if (!versions.includes(v)) this.pendingSeen.delete(v);
    return this.pendingSeen;
  }

  private jobStates(runs: Map<string, { last: JobState['last']; lastOkAt: string | null }>): JobState[] {
    return (this.o.scheduler?.jobs ?? []).map((j) => ({
      job: j.job,
      schedule: j.pattern,
      nextRunAt: this.o.scheduler?.nextRun(j.job)?.toISOString() ?? null,
      last: runs.get(j.job)?.last ?? null,
      lastOkAt: runs.get(j.job)?.lastOkAt ?? null,
    }));
  }

  private conditions(r: DoctorReport): Condition[] {
    const { settings } = this.o;
    const out: Condition[] = [
      {
        key: 'database_unreachable',
        active: !r.connected,
        message: `database unreachable: ${r.checks.find((c) => c.id === 'connectivity')?.summary ?? ''}`,
      },
    ];
    if (!r.connected) return out;
    const m = r.migrations;
    if (m) {
      const late = m.pending.length > 0 && (m.oldestPendingMs ?? 0) >= settings.pendingAlertMs;
      out.push({
        key: 'migrations_pending',
        active: late,
        message: `${m.pending.length} migration(s) pending for more than ${formatDuration(settings.pendingAlertMs, SUMMARY)}: ${m.pending.map((p) => `${p.version} ${p.name}`).join(', ')}`,
      });
    }
    const b = r.backups;
    if (b) {
      const age = b.lastSuccessAt ? Date.now() - Date.parse(b.lastSuccessAt) : 0;
      out.push({
        key: 'backup_stale',
        active: b.lastSuccessAt !== null && age > settings.backupMaxAgeMs,
        message: `newest backup is ${formatDuration(age, SUMMARY)} old (allowed: ${formatDuration(settings.backupMaxAgeMs, SUMMARY)})`,
      });
      out.push({
        key: 'drill_failed',
        active: b.lastDrill !== null && !b.lastDrill.ok,
        message: `restore drill of backup ${b.lastDrill?.backupId ?? ''} failed${b.lastDrill?.firstDifference ? `: ${b.lastDrill.firstDifference}` : ''}`,
      });
    }
    return out;
  }

  private render(report: DoctorReport, durationMs: number): void {
    const snap: Snapshot = {
      env: this.o.target.env,
      refreshedAt: report.checkedAt,
      refreshMs: this.o.settings.refreshMs,
      lastRefreshDurationMs: durationMs,
      report,
      connected: report.connected,
      jobs: this.jobs,
      alerts: this.o.alerter.active(),
      refreshes: this.refreshes,
      refreshErrors: this.refreshErrors,
      startedAt: this.startedAt,
      dashboard: this.dashboard,
    };
    const status = healthStatus(snap);
    const json = (v: unknown) => JSON.stringify(redactDeep(v));
    this.rendered = {
      status,
      code: status === 'down' ? 503 : 200,
      health: json(healthBody(snap)),
      healthSummary: json(summaryBody(snap)),
      migrations: json(migrationsBody(snap)),
      metrics: redact(renderMetrics(snap)),
      dashboard: dashboardView(snap, this.o.label),
    };
    this.snapshot = snap;
    this.o.onRendered?.();
  }
}
