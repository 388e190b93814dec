// `pgward recover --via render-pitr --at <time>`: Render's point-in-time recovery into a NEW instance
// (the source is untouched: research note §2.4), waited for until available, then validated against the
// newest drill-proven backup of the environment taken at or before <time>:
// - every table of that backup must exist in the recovered instance with at least as many rows;
// - more rows (writes between the backup and <time>) and new tables are reported, not failures;
// - a missing table or fewer rows fails validation (exit 10) naming the table: rows deleted after the
//   backup also cause it, which only the operator can judge. The new instance is kept either way.
import type { Storage } from '../../backup/storage.js';
import { PgwardError, UsageError } from '../../errors.js';
import { baselineFor, type RecoveryValidation, validateAgainst } from '../recovery-validation.js';
import type { RenderClient } from './client.js';

export type { TableGrowth } from '../recovery-validation.js';
/** How a recovered instance compares with the newest proven backup (shared with Neon's recovery). */
export type RenderPitrValidation = RecoveryValidation;

export interface RenderPitrOptions {
  client: RenderClient;
  /** The Render Postgres to recover (dpg-…). */
  postgresId: string;
  at: Date;
  env: string | undefined;
  storage: Storage;
  /** Skip the validation (no proven backup needed); the result says it was not validated. */
  validate?: boolean;
  restoreName?: string;
  waitTimeoutMs?: number;
  onStep?: (step: 'check' | 'recover' | 'wait' | 'validate', detail: string) => void;
  signal?: AbortSignal;
}

export interface RenderPitrResult {
  source: string;
  at: string;
  instance: { id: string; name: string; status: string };
  /** The new instance's external URL (a secret: printed redacted). */
  url: string;
  validation: RenderPitrValidation | null;
  nextSteps: string[];
}

/** Recovery must be AVAILABLE and `at` inside [startsAt, now]. */
async function checkWindow(o: RenderPitrOptions): Promise<void> {
  const info = await o.client.recoveryInfo(o.postgresId, o.signal);
  if (info.recoveryStatus !== 'AVAILABLE')
    throw new PgwardError(
      `point-in-time recovery of ${o.postgresId} is not available (${info.recoveryStatus})`,
      {
        hint:
          info.recoveryStatus === 'BACKUP_NOT_READY'
            ? 'its first backup is not ready yet: try again later'
            : 'point-in-time recovery needs a paid Render Postgres plan',
      },
    );
  if (info.startsAt && o.at.getTime() < Date.parse(info.startsAt))
    throw new UsageError(
      `--at ${o.at.toISOString()} is before the recovery window of ${o.postgresId} (it starts at ${info.startsAt})`,
    );
  if (o.at.getTime() > Date.now()) throw new UsageError(`--at ${o.at.toISOString()} is in the future`);
}

/**
 * Render point-in-time recovery into a new instance, waited for and validated against the newest proven backup.
 *
 * @example
 * ```ts
 * import { backupSettings, openStorage, RenderClient, recoverRenderPitr } from 'pgward';
 * const s = backupSettings(undefined);
 * const r = await recoverRenderPitr({
 *   client: new RenderClient({ apiKey: process.env.RENDER_API_KEY ?? '' }),
 *   postgresId: 'dpg-d0fq1b2dbo4c73b1a100-a',
 *   at: new Date(Date.now() - 10 * 60_000),
 *   env: 'production',
 *   storage: await openStorage(s.storageUrl, s),
 * });
 * console.log(r.instance.id, r.validation?.ok, r.nextSteps);
 * ```
 */
export async function recoverRenderPitr(o: RenderPitrOptions): Promise<RenderPitrResult> {
  o.onStep?.('check', `recovery window of ${o.postgresId}`);
  await checkWindow(o);
  const baseline = o.validate === false ? null : await baselineFor(o.storage, o.env, o.at);
  o.onStep?.('recover', `${o.postgresId} at ${o.at.toISOString()} into a new instance`);
  const created = await o.client.recover(o.postgresId, o.at, o.restoreName, o.signal);
  o.onStep?.('wait', `${created.id} (${created.status})`);
  const ready = await o.client.waitForPostgres(created.id, {
    ...(o.waitTimeoutMs !== undefined ? { timeoutMs: o.waitTimeoutMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onStatus: (s) => o.onStep?.('wait', `${created.id} ${s}`),
  });
  const url = (await o.client.connectionInfo(ready.id, o.signal)).externalConnectionString;
  let validation: RenderPitrValidation | null = null;
  if (baseline) {
    o.onStep?.('validate', `${ready.id} against backup ${baseline.id}`);
    validation = await validateAgainst(url, baseline);
  }
  const envFlag = o.env ? ` --env ${o.env}` : '';
  const nextSteps =
    validation && !validation.ok
      ? [
          `inspect ${ready.id} before using it; it is kept (delete it in the Render dashboard if it is not wanted)`,
        ]
      : [`pgward switch${envFlag} --to ${ready.id}`];
  return {
    source: o.postgresId,
    at: o.at.toISOString(),
    instance: { id: ready.id, name: ready.name, status: ready.status },
    url,
    validation,
    nextSteps,
  };
}
