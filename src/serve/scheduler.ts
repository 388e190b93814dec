// Cron jobs of one environment. Every replica schedules every job; at each slot they race to insert the
// slot's row in pgward.jobs (unique per env, job and scheduled time): one wins, the others skip. The
// slot's time comes from the pattern, whenever the cron fires (see slots.ts), so replicas agree on it. The
// winner then takes the job's advisory lock for the run, so a run that outlasts its interval is never
// overlapped by the next slot on any replica (that slot is recorded as skipped).
//
// A slot that fires while the replica has no free job slot (serve.jobs.concurrency) waits for one; a
// later slot of the same job that fires meanwhile supersedes it: when the turn comes, the newest slot
// is claimed and run, and the older ones are recorded as skipped (superseded) — by whichever replica
// gets there first, so every slot ends up with exactly one row, run or skipped, even on a fleet too
// busy to run them all (before, a slot waiting for capacity silenced the cron's next firings and those
// slots left no trace).
//
// A running row carries a lease that its replica renews; a replica that dies (kill -9, lost host) stops
// renewing, and the housekeeping sweep of any replica (or of the restarted one) turns the row into
// `failed`, naming the runner, and raises the job's alert. The slot is not re-run: its time has passed,
// the next slot runs as scheduled, and re-running a job that may have killed its replica (memory, disk)
// could take the next replica down with it.
import { Cron } from 'croner';
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import { JOB_NAMES, type JobName, type RawSchedule } from '../config/sections/doctor.js';
import { appName, connect } from '../db/connect.js';
import type { Limiter } from '../db/limit.js';
import { UsageError } from '../errors.js';
import { redact } from '../redact.js';
import type { Alerter, Logger } from './alerts.js';
import { type JobContext, JobFailure, runJob } from './jobs.js';
import { holdLease } from './lease.js';
import { JobSlots, turnRank } from './slots.js';
import {
  claimSlot,
  ensureTables,
  expireLeases,
  finishJob,
  type HistoryRetention,
  pruneJobHistory,
  recordSuperseded,
  releaseJobLock,
  type SupersededSlot,
  slotsRecorded,
  tryJobLock,
} from './store.js';

/** Job history is pruned at most this often (and when serve starts). */
const PRUNE_EVERY_MS = 3_600_000;

/** The read on the refresh loop's connection may take this long; past it the run connects as without it. */
const HINT_TIMEOUT_MS = 2_000;

export interface ScheduledJob {
  job: JobName;
  pattern: string;
  cron: Cron;
  slots: JobSlots;
}

export interface SchedulerOptions {
  env: string;
  schedule: RawSchedule | undefined;
  config: LoadedConfig | undefined;
  context: Omit<JobContext, 'signal'>;
  alerter: Alerter;
  log: Logger;
  /** Called after every run (to refresh the health snapshot). */
  onRun?: () => void;
  /** Lease of a running job: renewed every third of it, expired by any replica once it lapses. */
  leaseMs: number;
  retention: HistoryRetention;
  /** serve's refresh interval: the housekeeping sweep runs at least this often (not below 1 s). */
  refreshMs: number;
  /** Serving several environments: housekeeping sweeps share the refreshes' limit… */
  sweepLimiter?: Limiter;
  /** …and job runs their own (a slot is claimed once the run has its turn, so another replica may take it first). */
  jobLimiter?: Limiter;
  /**
   * A connection of this replica's that is already open (the refresh loop's), or none: read before a run
   * connects, to learn whether another replica already took its slots. Never written through.
   */
  hint?: () => pg.Client | undefined;
}

export class Scheduler {
  readonly jobs: ScheduledJob[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly runner = appName('serve');
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  /** When the last housekeeping sweep started, and how often one is due. */
  private lastSweep = 0;
  private sweepEveryMs = 0;
  private lastPrune = 0;
  private tablesReady = false;
  /** Slots fired and not yet taken, per job, oldest first; one turn per job waits for capacity. */
  private readonly due = new Map<JobName, Date[]>();

  constructor(private readonly o: SchedulerOptions) {
    const tz = o.schedule?.timezone ?? 'UTC';
    for (const job of JOB_NAMES) {
      const pattern = o.schedule?.[job];
      if (!pattern) continue;
      let cron: Cron;
      try {
        cron = new Cron(pattern, { timezone: tz, paused: true }, () => this.fire(job, slots.due()));
      } catch (err) {
        const line = o.config?.lineOf(['environments', o.env, 'schedule', job]);
        throw new UsageError(
          `${o.config ? `${o.config.path}:${line ?? '?'}: ` : ''}environments.${o.env}.schedule.${job}: ${(err as Error).message}`,
          'e.g. "0 3 * * *" (03:00 every day) or "*/30 * * * * *" (every 30 seconds)',
        );
      }
      const slots = new JobSlots(cron);
      this.jobs.push({ job, pattern, cron, slots });
    }
  }

  start(): void {
    // Slots from now on are this replica's to record: one due before it started is not.
    const now = Date.now();
    for (const j of this.jobs) {
      j.slots.markStart(now);
      j.cron.resume();
    }
    if (!this.jobs.length) return;
    void this.housekeep();
    // Every half lease, or every refresh when that is shorter (but not more than once a second). The
    // refresh loop sweeps on its own connection when one is due (sweepOn); this timer opens a connection
    // only when no refresh did it for half as long again (refreshes slower than the sweeps, or stalled).
    this.sweepEveryMs = Math.min(this.o.leaseMs / 2, Math.max(1_000, this.o.refreshMs));
    this.sweepTimer = setInterval(() => {
      if (Date.now() - this.lastSweep >= this.sweepEveryMs * 1.5) void this.housekeep();
    }, this.sweepEveryMs / 2);
  }

  /**
   * The refresh loop's turn: sweeps on the refresh's connection (its tables already checked) when a
   * sweep is due. With 200 environments, a connection per sweep was most of a replica's database load.
   */
  async sweepOn(client: pg.Client): Promise<void> {
    if (!this.sweepEveryMs || this.sweeping || this.abort.signal.aborted) return;
    if (Date.now() - this.lastSweep < this.sweepEveryMs) return;
    const p = this.sweepWith(client).finally(() => {
      this.sweeping = undefined;
    });
    this.sweeping = p;
    await p;
  }

  /** Stops scheduling, aborts running jobs (a backup in progress is cancelled) and waits for them. */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const j of this.jobs) j.cron.stop();
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  /**
   * Slots are due: they join the job's due slots, and the job asks for a turn unless one is already
   * waiting (that turn takes every slot due by then). Never blocks the cron: its next firings happen.
   */
  private fire(job: JobName, fired: Date[]): void {
    if (!fired.length) return;
    const slots = this.due.get(job);
    if (slots) {
      slots.push(...fired);
      return;
    }
    this.due.set(job, [...fired]);
    const go = () => {
      const taken = this.due.get(job) ?? [];
      this.due.delete(job);
      return this.abort.signal.aborted ? Promise.resolve() : this.run(job, taken);
    };
    const rank = turnRank(this.runner, this.o.env, job, fired[fired.length - 1]!);
    const p = (this.o.jobLimiter ? this.o.jobLimiter.run(go, rank) : go()).finally(() =>
      this.running.delete(p),
    );
    this.running.add(p);
  }

  private scheduled(job: JobName): ScheduledJob | undefined {
    return this.jobs.find((j) => j.job === job);
  }

  nextRun(job: JobName): Date | null {
    return this.scheduled(job)?.cron.nextRun() ?? null;
  }

  /** One housekeeping sweep at a time: expire lapsed leases, prune old history. */
  housekeep(): Promise<void> {
    if (this.sweeping) return this.sweeping;
    const go = () => (this.abort.signal.aborted ? Promise.resolve() : this.sweep());
    const p = (this.o.sweepLimiter ? this.o.sweepLimiter.run(go) : go()).finally(() => {
      this.sweeping = undefined;
      this.running.delete(p);
    });
    this.sweeping = p;
    this.running.add(p);
    return p;
  }

  private async sweep(): Promise<void> {
    let client: Awaited<ReturnType<typeof connect>> | undefined;
    try {
      client = await connect(this.o.context.target.url, { applicationName: appName('serve housekeeping') });
      await ensureTables(client);
      await this.sweepWith(client);
    } catch (err) {
      this.o.log(`housekeeping: ${redact((err as Error).message.split('\n')[0] ?? String(err))}`);
    } finally {
      await client?.end().catch(() => {});
    }
  }

  /** Expires lapsed leases (alerting once per failed run) and prunes old history, on `client`. */
  private async sweepWith(client: pg.Client): Promise<void> {
    const { env, log, alerter } = this.o;
    this.lastSweep = Date.now();
    let changed = false;
    try {
      for (const e of await expireLeases(client, env)) {
        changed = true;
        const why = `${e.error}; the slot is not re-run`;
        log(`job ${e.job}: FAILED: ${why}`);
        await alerter.apply(
          [{ key: `job_failed:${e.job}`, active: true, message: `${e.job} job failed: ${why}` }],
          client,
        );
      }
      if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
        const pruned = await pruneJobHistory(client, env, this.o.retention);
        this.lastPrune = Date.now();
        if (pruned) log(`job history: ${pruned} old run(s) pruned`);
      }
    } catch (err) {
      log(`housekeeping: ${redact((err as Error).message.split('\n')[0] ?? String(err))}`);
    } finally {
      if (changed) this.o.onRun?.();
    }
  }

  /** Runs the newest of `slots`; the older ones (they waited for capacity, or fired late) are recorded as superseded. */
  private async run(job: JobName, slots: Date[]): Promise<void> {
    const { env, log, alerter } = this.o;
    const slot = slots[slots.length - 1]!;
    const key = `job_failed:${job}`;
    let client: Awaited<ReturnType<typeof connect>> | undefined;
    let id: string | null = null;
    let locked = false;
    // Whether this turn changed what the snapshot shows (a row written, an alert): then it refreshes.
    let changed = true;
    const older = slots
      .slice(0, -1)
      .map((at) => ({ at, why: this.scheduled(job)?.slots.takeLate(at) ? 'late' : 'capacity' }) as const);
    try {
      if (await this.takenElsewhere(job, slots)) {
        changed = false;
        return;
      }
      client = await connect(this.o.context.target.url, { applicationName: appName(`serve ${job}`) });
      // Once per process (the housekeeping sweep re-checks them): a slot another replica already holds
      // then costs one INSERT that conflicts, not the DDL checks too.
      if (!this.tablesReady) await ensureTables(client);
      this.tablesReady = true;
      const superseded = await this.supersede(client, job, older, slot);
      id = await claimSlot(client, env, job, slot, this.runner, this.o.leaseMs);
      if (!id) {
        changed = superseded > 0; // another replica has this slot
        return;
      }
      locked = await tryJobLock(client, env, job);
      if (!locked) {
        await finishJob(client, id, 'skipped', 'the previous run is still in progress', null);
        log(`job ${job}: skipped, the previous run is still in progress`);
        return;
      }
      log(`job ${job}: started (slot ${slot.toISOString()})`);
      const lease = holdLease(client, id, job, {
        leaseMs: this.o.leaseMs,
        log: this.o.log,
        stop: this.abort.signal,
      });
      try {
        const detail = await runJob(job, { ...this.o.context, signal: lease.signal, client });
        lease.stop();
        if (!(await finishJob(client, id, 'ok', null, detail))) return this.discarded(job);
        log(`job ${job}: ok`);
        await alerter.apply([{ key, active: false, message: '' }], client);
      } catch (err) {
        lease.stop();
        const message = redact((err as Error).message.split('\n')[0] ?? String(err));
        const detail = err instanceof JobFailure ? err.detail : null;
        if (lease.lost() || !(await finishJob(client, id, 'failed', message, detail)))
          return this.discarded(job);
        log(`job ${job}: FAILED: ${message}`);
        // A failed drill has its own alert (raised from the catalog): do not announce it twice.
        if (!(err instanceof JobFailure && err.kind === 'drill'))
          await alerter.apply([{ key, active: true, message: `${job} job failed: ${message}` }], client);
      }
    } catch (err) {
      const message = redact((err as Error).message.split('\n')[0] ?? String(err));
      if ((err as { code?: string }).code === '42P01') this.tablesReady = false; // dropped (a restore?)
      log(`job ${job}: cannot run: ${message}`);
      await alerter.apply([{ key, active: true, message: `${job} job could not run: ${message}` }], null);
    } finally {
      if (client) {
        if (locked) await releaseJobLock(client, env, job).catch(() => {});
        await client.end().catch(() => {});
      }
      if (changed) this.o.onRun?.();
    }
  }

  /**
   * True when every one of `slots` already has its row (another replica claimed or skipped them), read
   * on the refresh loop's open connection: the turn then opens no connection. With three replicas, two
   * of every three attempts found the slot taken, each after a new session (a process start on the
   * server). Only a hint: no open connection, an error or a slow answer means "not known", and the claim
   * on the run's own connection decides, as before.
   */
  private async takenElsewhere(job: JobName, slots: Date[]): Promise<boolean> {
    const c = this.o.hint?.();
    if (!c) return false;
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(-1), HINT_TIMEOUT_MS);
    });
    try {
      const n = await Promise.race([slotsRecorded(c, this.o.env, job, slots), slow]);
      return n === slots.length;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Records `older` as skipped, superseded by `by`; how many rows it wrote (another replica may have). */
  private async supersede(
    client: pg.Client,
    job: JobName,
    older: SupersededSlot[],
    by: Date,
  ): Promise<number> {
    if (!older.length) return 0;
    const n = await recordSuperseded(client, this.o.env, job, older, by, this.runner);
    const late = older.filter((r) => r.why === 'late').length;
    const why = [
      late && `${late} fired late (a stall)`,
      older.length - late && `${older.length - late} waited for job capacity`,
    ].filter(Boolean);
    if (n)
      this.o.log(
        `job ${job}: ${n} slot(s) skipped, superseded by the slot of ${by.toISOString()}: ${why.join(', ')}`,
      );
    return n;
  }

  /** The row was failed by another replica (lease expired): its verdict and alert stand. */
  private discarded(job: JobName): void {
    this.o.log(`job ${job}: finished after its lease had expired: the recorded failure stands`);
  }
}
