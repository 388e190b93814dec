// `pgward switch`: point an environment's app at another database, after proving it holds the same data.
// Order: refuse (same database, another environment's, a switch left in progress) → validate (schema,
// counts, optional hashes, sequences) → record in both databases → the platform sets the URL and deploys
// → health verified → recorded. A failure after the platform step points the app back at the old
// database. The old database is never dropped or changed (bar --read-only-source, asked for by name).
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { VerifyMode } from '../clone/validate.js';
import type { LoadedConfig } from '../config/load.js';
import { appName, connect } from '../db/connect.js';
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import { readDatabaseIdentity } from '../identity/database.js';
import { InterruptedError } from '../interrupt.js';
import type { HealthResult } from '../platform/health.js';
import type { DeployProvider, PlatformDeployResult } from '../platform/types.js';
import { redact, redactUrl } from '../redact.js';
import { applySwitch } from './switch-apply.js';
import { insertSwitch, readSwitches, type SwitchRecord, updateSwitch } from './switch-journal.js';
import type { VerifySettings } from './switch-provider.js';
import {
  abandonUntouched,
  describeInterrupted,
  refuseOtherEnvironment,
  refuseSameDatabase,
  resolveInterrupted,
  setReadOnly,
} from './switch-steps.js';
import { type SwitchValidation, validateSwitchTarget } from './switch-validate.js';

export interface SwitchOptions {
  env: string;
  /** The database the environment's app uses now. */
  sourceUrl: string;
  /** A postgres:// URL, or a platform database id (Render dpg-…) the provider resolves. */
  to?: string | undefined;
  provider: DeployProvider;
  verify: VerifySettings;
  /** How long the old database is kept before it may be dropped (keep_until = now + keepMs). */
  keepMs: number;
  /** count: exact row counts; hash: counts and an order-independent hash of each table's rows. */
  mode?: VerifyMode;
  /** false: validate only, change nothing (the CLI without --yes). */
  apply: boolean;
  /** Set default_transaction_read_only on the source database before validating (new sessions cannot write). */
  readOnlySource?: boolean;
  /**
   * The target was validated by another rule and is not compared with the source: a database recovered
   * to an earlier time differs from the current one by design (src/deploy/recover-switch.ts). Only
   * switchToRecovered sets it, after the recovery's own validation passed.
   */
  validatedBy?: { rule: string; tables: number };
  /** A human's verdict on a switch left in progress: where the app really is. */
  resolve?: 'switched' | 'abandoned' | undefined;
  config?: LoadedConfig | undefined;
  signal?: AbortSignal;
  onStep?: (step: string, detail?: string) => void;
}

export interface SwitchResult {
  id: string;
  env: string;
  outcome: 'validated' | 'switched' | 'resolved';
  /** Redacted URLs. */
  from: string;
  to: string;
  fromDatabase: string;
  toDatabase: string;
  validation: SwitchValidation | null;
  platform: PlatformDeployResult | null;
  health: HealthResult | null;
  keepUntil: string | null;
  readOnlySource: boolean;
  /** Things the user must know (writes after validation, earlier switches abandoned, when to drop). */
  notes: string[];
}

/** A postgres:// URL as is; a platform database id through the provider (one clear line when it has none). */
export async function resolveSwitchTarget(
  to: string,
  provider: DeployProvider,
  signal?: AbortSignal,
): Promise<string> {
  if (/^postgres(ql)?:\/\//i.test(to)) return to;
  if (!provider.databaseUrl)
    throw new UsageError(
      `--to ${to}: the ${provider.kind} provider cannot look up a database by id`,
      'give a postgres:// URL or an environment name from pgward.yaml',
    );
  return provider.databaseUrl(to, signal);
}

const newId = () =>
  `sw-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(2).toString('hex')}`;

/** Serialises switches of one environment: a session advisory lock on the source database. */
async function lockSwitches(c: pg.Client, env: string): Promise<void> {
  const r = await c.query<{ ok: boolean }>(
    "SELECT pg_try_advisory_lock(hashtext('pgward switch'), hashtext($1)) AS ok",
    [env],
  );
  if (!r.rows[0]?.ok)
    throw new PgwardError(`another pgward switch of ${env} is running`, {
      exitCode: ExitCode.lockBusy,
      hint: 'wait for it to finish',
    });
}

/** Earlier switches left in_progress: reported (app touched) or closed (untouched). */
async function settleEarlier(c: pg.Client, o: SwitchOptions, notes: string[]): Promise<void> {
  const id = await readDatabaseIdentity(c);
  const open = await readSwitches(c, { inProgressOnly: id.fingerprint });
  const database = id.database;
  for (const r of open) {
    if (r.step !== 'validating') throw describeInterrupted(o.env, r);
    if (o.apply) notes.push(await abandonUntouched(c, r, database));
    else
      notes.push(
        `switch ${r.id} stopped before the app was touched${r.readOnlySource ? ` (${database} left read-only)` : ''}; the next switch with --yes closes it`,
      );
  }
}

/**
 * Validates another database against the one an environment's app uses and, with `apply`, points the
 * app at it through the platform, verifies its health and records the switch in both databases.
 *
 * @example
 * ```ts
 * import { switchDatabase } from 'pgward';
 * declare const provider: Parameters<typeof switchDatabase>[0]['provider']; // the environment's platform
 * const r = await switchDatabase({
 *   env: 'production', sourceUrl: process.env.OLD_URL!, to: process.env.NEW_URL!, provider,
 *   verify: { healthUrl: 'https://app.example/healthz', checks: 3, intervalMs: 2000, timeoutMs: 120000 },
 *   keepMs: 7 * 86_400_000, apply: true,
 * });
 * console.log(r.outcome, r.keepUntil, r.notes);
 * ```
 */
export async function switchDatabase(o: SwitchOptions): Promise<SwitchResult> {
  const source = await connect(o.sourceUrl, { applicationName: appName('switch') });
  let target: pg.Client | undefined;
  try {
    await lockSwitches(source, o.env);
    if (o.resolve) return await resolved(source, o);
    const notes: string[] = [];
    await settleEarlier(source, o, notes);
    if (!o.to) throw new UsageError('switch needs --to <url | database id | environment>');
    o.onStep?.('resolve', o.to);
    const targetUrl = await resolveSwitchTarget(o.to, o.provider, o.signal);
    redactUrl(targetUrl); // registers its password: masked wherever it would appear
    target = await connect(targetUrl, { applicationName: appName('switch') });
    return await run(o, source, target, targetUrl, notes);
  } finally {
    await target?.end().catch(() => {});
    await source.end().catch(() => {});
  }
}

async function resolved(source: pg.Client, o: SwitchOptions): Promise<SwitchResult> {
  const r = await resolveInterrupted(source, o.env, o.resolve!, o.keepMs);
  const notes = [`switch ${r.id} recorded as ${o.resolve}`];
  if (o.to) notes.push(await resolveOnTarget(o, r.id));
  else notes.push(`${r.toDatabase}'s own row still says in_progress: add --to <it> to record it there too`);
  return {
    ...base(r.id, o.env, r.fromUrl, r.toUrl, r.fromDatabase, r.toDatabase),
    outcome: 'resolved',
    notes,
  };
}

/** --resolve with --to: the same verdict in the other database's row. */
async function resolveOnTarget(o: SwitchOptions, id: string): Promise<string> {
  const url = await resolveSwitchTarget(o.to!, o.provider, o.signal);
  redactUrl(url);
  const target = await connect(url, { applicationName: appName('switch') });
  try {
    const self = await readDatabaseIdentity(target);
    const open = await readSwitches(target, { inProgressOnly: self.fingerprint });
    if (!open.some((x) => x.id === id)) return `--to: no switch ${id} in progress there; nothing to record`;
    await resolveInterrupted(target, o.env, o.resolve!, o.keepMs, id);
    return `recorded as ${o.resolve} in ${self.database} too`;
  } finally {
    await target.end().catch(() => {});
  }
}

function base(id: string, env: string, from: string, to: string, fromDb: string, toDb: string) {
  return {
    id,
    env,
    from,
    to,
    fromDatabase: fromDb,
    toDatabase: toDb,
    validation: null,
    platform: null,
    health: null,
    keepUntil: null,
    readOnlySource: false,
    notes: [] as string[],
  };
}

async function run(
  o: SwitchOptions,
  source: pg.Client,
  target: pg.Client,
  targetUrl: string,
  notes: string[],
): Promise<SwitchResult> {
  const [srcId, dstId] = await Promise.all([readDatabaseIdentity(source), readDatabaseIdentity(target)]);
  refuseSameDatabase(o.env, srcId, dstId);
  await refuseOtherEnvironment(o.env, targetUrl, target, o.config);
  const rec: SwitchRecord = {
    id: newId(),
    environment: o.env,
    role: 'source',
    fromUrl: redactUrl(o.sourceUrl),
    toUrl: redactUrl(targetUrl),
    fromDatabase: srcId.database,
    toDatabase: dstId.database,
    step: 'validating',
    outcome: 'in_progress',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    keepUntil: null,
    platformDeployId: null,
    provider: o.provider.describe(),
    readOnlySource: o.apply && o.readOnlySource === true,
    detail: null,
  };
  const result: SwitchResult = {
    ...base(rec.id, o.env, rec.fromUrl, rec.toUrl, rec.fromDatabase, rec.toDatabase),
    outcome: 'validated',
    readOnlySource: rec.readOnlySource,
    notes,
  };
  result.validation = await validate(o, source, target, rec, srcId.fingerprint);
  if (!o.apply) {
    notes.push('validated only: nothing was changed (add --yes to point the app at the new database)');
    return { ...result, outcome: 'validated' };
  }
  if (o.signal?.aborted) await stopBeforePlatform(source, rec);
  // The target first: a target pgward cannot write to (a standby, a read-only role) stops the switch
  // before the source records anything in progress.
  await recordOnTarget(source, target, rec, dstId.fingerprint);
  await insertSwitch(source, { ...rec, step: 'platform' }, srcId.fingerprint);
  await updateSwitch(source, rec.id, { step: 'platform' });
  return applySwitch(o, { source, target }, targetUrl, rec, result);
}

/** Ctrl-C during the validation: the platform is never asked; the source is as it was. */
async function stopBeforePlatform(source: pg.Client, rec: SwitchRecord): Promise<never> {
  if (rec.readOnlySource) {
    await setReadOnly(source, rec.fromDatabase, false);
    await updateSwitch(source, rec.id, { outcome: 'abandoned', step: 'done', detail: 'interrupted' });
  }
  throw new InterruptedError('switch', 'the app was not touched');
}

async function recordOnTarget(
  source: pg.Client,
  target: pg.Client,
  rec: SwitchRecord,
  fingerprint: string,
): Promise<void> {
  try {
    await insertSwitch(target, { ...rec, role: 'target', step: 'platform' }, fingerprint);
  } catch (err) {
    if (rec.readOnlySource) {
      await setReadOnly(source, rec.fromDatabase, false);
      await updateSwitch(source, rec.id, { outcome: 'refused', step: 'done', detail: 'target not writable' });
    }
    throw new PgwardError(
      `cannot record the switch in ${rec.toDatabase}: ${redact((err as Error).message)}; nothing was changed`,
      { hint: 'the new database must be writable by this role (the app will write there): not a standby' },
    );
  }
}

async function validate(
  o: SwitchOptions,
  source: pg.Client,
  target: pg.Client,
  rec: SwitchRecord,
  fingerprint: string,
): Promise<SwitchValidation> {
  if (rec.readOnlySource) {
    // Recorded first: a pgward killed now leaves a row saying the source was made read-only.
    await insertSwitch(source, rec, fingerprint);
    o.onStep?.('read-only source', rec.fromDatabase);
    await setReadOnly(source, rec.fromDatabase, true);
  }
  if (o.validatedBy) {
    o.onStep?.(
      'validate',
      `${rec.toDatabase}: ${o.validatedBy.rule} (not compared with ${rec.fromDatabase})`,
    );
    return { ok: true, mode: 'count', tables: [], problems: [], compared: o.validatedBy.tables, rows: 0 };
  }
  o.onStep?.('validate', `${rec.fromDatabase} → ${rec.toDatabase} (${o.mode ?? 'count'})`);
  const v = await validateSwitchTarget(source, target, o.mode ?? 'count');
  if (v.ok) return v;
  if (rec.readOnlySource) {
    await setReadOnly(source, rec.fromDatabase, false);
    await updateSwitch(source, rec.id, { outcome: 'refused', step: 'done', detail: 'validation failed' });
  }
  const bad = v.tables.filter((t) => !t.ok).map((t) => `${t.table}: ${t.problem}`);
  throw new PgwardError(
    `refusing to switch ${o.env}: ${rec.toDatabase} differs from ${rec.fromDatabase} (${v.problems.length + bad.length} difference(s))`,
    {
      exitCode: ExitCode.validationFailed,
      details: [...v.problems, ...bad],
      hint: 'bring the new database up to date (restore or clone again) and re-run; nothing was changed',
    },
  );
}
