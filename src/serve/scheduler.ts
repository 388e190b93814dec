// Cron jobs of one environment. Every replica schedules every job; at each slot they race to insert the
// slot's row in pgward.jobs (unique per env, job and scheduled time): one wins, the others skip. The
// winner then takes the job's advisory lock for the run, so a run that outlasts its interval is never
// overlapped by the next slot on any replica (that slot is recorded as skipped).
import { Cron } from 'croner';
import type { LoadedConfig } from '../config/load.js';
import { appName, connect } from '../db/connect.js';
import { JOB_NAMES, type JobName, type RawSchedule } from '../doctor/config.js';
import { UsageError } from '../errors.js';
import { redact } from '../redact.js';
import type { Alerter, Logger } from './alerts.js';
import { type JobContext, JobFailure, runJob } from './jobs.js';
import { claimSlot, ensureTables, finishJob, releaseJobLock, tryJobLock } from './store.js';

export interface ScheduledJob {
  job: JobName;
  pattern: string;
  cron: Cron;
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
}

export class Scheduler {
  readonly jobs: ScheduledJob[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly runner = appName('serve');

  constructor(private readonly o: SchedulerOptions) {
    const tz = o.schedule?.timezone ?? 'UTC';
    for (const job of JOB_NAMES) {
      const pattern = o.schedule?.[job];
      if (!pattern) continue;
      let cron: Cron;
      try {
        cron = new Cron(pattern, { timezone: tz, protect: true, paused: true }, (self: Cron) => {
          const slot = self.currentRun() ?? new Date(Math.floor(Date.now() / 1000) * 1000);
          const p = this.run(job, slot).finally(() => this.running.delete(p));
          this.running.add(p);
          return p;
        });
      } catch (err) {
        const line = o.config?.lineOf(['environments', o.env, 'schedule', job]);
        throw new UsageError(
          `${o.config ? `${o.config.path}:${line ?? '?'}: ` : ''}environments.${o.env}.schedule.${job}: ${(err as Error).message}`,
          'e.g. "0 3 * * *" (03:00 every day) or "*/30 * * * * *" (every 30 seconds)',
        );
      }
      this.jobs.push({ job, pattern, cron });
    }
  }

  start(): void {
    for (const j of this.jobs) j.cron.resume();
  }

  /** Stops scheduling, aborts running jobs (a backup in progress is cancelled) and waits for them. */
  async stop(): Promise<void> {
    for (const j of this.jobs) j.cron.stop();
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  nextRun(job: JobName): Date | null {
    return this.jobs.find((j) => j.job === job)?.cron.nextRun() ?? null;
  }

  private async run(job: JobName, slot: Date): Promise<void> {
    const { env, log, alerter } = this.o;
    const key = `job_failed:${job}`;
    let client: Awaited<ReturnType<typeof connect>> | undefined;
    let id: string | null = null;
    let locked = false;
    try {
      client = await connect(this.o.context.target.url, { applicationName: appName(`serve ${job}`) });
      await ensureTables(client);
      id = await claimSlot(client, env, job, slot, this.runner);
      if (!id) return; // another replica has this slot
      locked = await tryJobLock(client, env, job);
      if (!locked) {
        await finishJob(client, id, 'skipped', 'the previous run is still in progress', null);
        log(`job ${job}: skipped, the previous run is still in progress`);
        return;
      }
      log(`job ${job}: started (slot ${slot.toISOString()})`);
      try {
        const detail = await runJob(job, { ...this.o.context, signal: this.abort.signal });
        await finishJob(client, id, 'ok', null, detail);
        log(`job ${job}: ok`);
        await alerter.apply([{ key, active: false, message: '' }], client);
      } catch (err) {
        const message = redact((err as Error).message.split('\n')[0] ?? String(err));
        const detail = err instanceof JobFailure ? err.detail : null;
        await finishJob(client, id, 'failed', message, detail);
        log(`job ${job}: FAILED: ${message}`);
        // A failed drill has its own alert (raised from the catalog): do not announce it twice.
        if (!(err instanceof JobFailure && err.kind === 'drill'))
          await alerter.apply([{ key, active: true, message: `${job} job failed: ${message}` }], client);
      }
    } catch (err) {
      const message = redact((err as Error).message.split('\n')[0] ?? String(err));
      log(`job ${job}: cannot run: ${message}`);
      await alerter.apply([{ key, active: true, message: `${job} job could not run: ${message}` }], null);
    } finally {
      if (client) {
        if (locked) await releaseJobLock(client, env, job).catch(() => {});
        await client.end().catch(() => {});
      }
      this.o.onRun?.();
    }
  }
}
