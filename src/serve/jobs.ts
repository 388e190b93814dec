// What each scheduled job does: the same library calls as `pgward backup create|prune|verify` and
// `pgward doctor`. A job throws to fail; its result is a small JSON detail stored with the history row.

import type pg from 'pg';
import { backupSettings } from '../backup/config.js';
import { createBackupForTarget } from '../backup/for-target.js';
import { pruneBackups, pruneFailureMessage } from '../backup/prune.js';
import { openStorage } from '../backup/storage.js';
import { verifyBackup } from '../backup/verify.js';
import type { LoadedConfig } from '../config/load.js';
import type { JobName } from '../config/sections/doctor.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { runDoctor } from '../doctor/doctor.js';
import type { ServerShare } from '../doctor/server-share.js';

export interface JobContext {
  config: LoadedConfig | undefined;
  target: Target;
  source: MigrationsSource | undefined;
  signal: AbortSignal;
  /** The run's own connection (it holds the job's lock and lease): a doctor job reads through it. */
  client?: pg.Client;
  /** Readings of the whole server shared across the environments serve watches on it (serve --all). */
  share?: ServerShare | undefined;
}

/** The doctor's statements on the run's connection stop after this long, as on a connection of its own. */
const DOCTOR_STATEMENT_TIMEOUT_MS = 10_000;

/** A failure that is the job's finding (a failed drill, failing checks), not a crash. */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly detail: Record<string, unknown>,
    readonly kind: 'drill' | 'doctor',
  ) {
    super(message);
  }
}

async function storageOf(config: LoadedConfig | undefined) {
  const s = backupSettings(config);
  return { s, storage: await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 }) };
}

/**
 * The doctor's checks on the run's connection when there is one (a connection fewer per slot: on a
 * fleet, new connections were most of the servers' load), under a statement timeout for their time.
 */
async function doctorOn(ctx: JobContext) {
  const { client } = ctx;
  const opts = { target: ctx.target, source: ctx.source, config: ctx.config, share: ctx.share };
  if (!client) return runDoctor(opts);
  await client.query(`SET statement_timeout = ${DOCTOR_STATEMENT_TIMEOUT_MS}`);
  try {
    return await runDoctor({ ...opts, client });
  } finally {
    await client.query('RESET statement_timeout').catch(() => {});
  }
}

export async function runJob(job: JobName, ctx: JobContext): Promise<Record<string, unknown>> {
  switch (job) {
    case 'backup': {
      const m = await createBackupForTarget({
        config: ctx.config,
        target: ctx.target,
        reason: 'scheduled',
        signal: ctx.signal,
      });
      return { backup_id: m.id, bytes: m.archive.bytes, tables: m.tables.length };
    }
    case 'prune': {
      const { s, storage } = await storageOf(ctx.config);
      const r = await pruneBackups({
        storage,
        rules: s.retention,
        filter: { env: ctx.target.env },
        leftoverGraceMs: s.leftoverGraceMs,
      });
      // A prune that could not read, check or delete something is a failed job: it must alert.
      if (!r.ok) throw new Error(pruneFailureMessage(r));
      return { deleted: r.deleted, kept: r.decisions.filter((d) => d.keep).length };
    }
    case 'verify': {
      const { s, storage } = await storageOf(ctx.config);
      const r = await verifyBackup({
        storage,
        ref: 'latest',
        env: ctx.target.env,
        serverUrl: ctx.target.url,
        drill: true,
        jobs: s.restoreJobs,
        // verifyBackup sweeps orphaned scratch databases first; stopping serve drops this drill's.
        signal: ctx.signal,
      });
      const detail = { backup_id: r.id, ok: r.ok, checks: r.checks, first_difference: r.firstDifference };
      if (!r.ok)
        throw new JobFailure(
          `restore drill of ${r.id} failed: ${r.firstDifference ?? 'see the manifest'}`,
          detail,
          'drill',
        );
      return detail;
    }
    case 'doctor': {
      const r = await doctorOn(ctx);
      const counts = { pass: 0, warn: 0, fail: 0, skip: 0 };
      for (const c of r.checks) counts[c.status]++;
      const failing = r.checks.filter((c) => c.status === 'fail');
      const detail = { status: r.status, counts, failing: failing.map((c) => c.id) };
      if (failing.length)
        throw new JobFailure(
          `${failing.length} doctor check(s) failing: ${failing.map((c) => `${c.id} (${c.summary})`).join('; ')}`,
          detail,
          'doctor',
        );
      return detail;
    }
  }
}
