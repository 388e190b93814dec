// The platform half of `switch`, after the validation passed and both databases hold the in-progress
// row: point the app at the new database, verify it, record. Any failure points the app back at the old
// database. Journal writes here are best effort: a database that stopped answering must never keep
// pgward from pointing the app back; what could not be recorded is said.
import type pg from 'pg';
import { environmentPolicy, isProtectedEnvironment } from '../config/target.js';
import { PgwardError } from '../errors.js';
import { readDatabaseIdentity } from '../identity/database.js';
import { writeStamp } from '../identity/stamp.js';
import { checkHealth, type HealthResult } from '../platform/health.js';
import type { DeployProvider, PlatformDeployResult, TriggerOptions } from '../platform/types.js';
import { redact } from '../redact.js';
import type { SwitchOptions, SwitchResult } from './switch.js';
import { type SwitchRecord, type SwitchUpdate, updateSwitch } from './switch-journal.js';
import { setReadOnly } from './switch-steps.js';

interface Sides {
  source: pg.Client;
  target: pg.Client;
}

/** Updates the row in both databases; returns what could not be recorded, one line each. */
async function record(s: Sides, rec: SwitchRecord, u: SwitchUpdate): Promise<string[]> {
  const done = await Promise.allSettled([
    updateSwitch(s.source, rec.id, u),
    updateSwitch(s.target, rec.id, u),
  ]);
  return done.flatMap((d, i) =>
    d.status === 'rejected'
      ? [
          `could not record "${u.outcome ?? u.step}" in ${i ? rec.toDatabase : rec.fromDatabase}'s pgward.switches: ${redact((d.reason as Error).message)}`,
        ]
      : [],
  );
}

/** The provider's answer, also when it throws (an API error): a failed platform step, never a crash. */
export async function setUrl(
  provider: DeployProvider,
  url: string,
  opts: TriggerOptions,
): Promise<PlatformDeployResult> {
  const started = Date.now();
  try {
    return await provider.setDatabaseUrl(url, opts);
  } catch (err) {
    return {
      outcome: 'failed',
      platformDeployId: null,
      detail: redact((err as Error).message),
      durationMs: Date.now() - started,
    };
  }
}

export async function applySwitch(
  o: SwitchOptions,
  s: Sides,
  targetUrl: string,
  rec: SwitchRecord,
  result: SwitchResult,
): Promise<SwitchResult> {
  o.onStep?.('platform', `pointing the app at ${rec.toDatabase} (${o.provider.describe()})`);
  const platform = await setUrl(o.provider, targetUrl, {
    deployId: rec.id,
    signal: o.signal,
    onProgress: (e) => o.onStep?.(e.status, e.detail),
  });
  result.platform = platform;
  const unrecorded = await record(s, rec, { step: 'verifying', platformDeployId: platform.platformDeployId });
  if (platform.outcome !== 'live')
    return fail(o, s, rec, `the platform step ended ${platform.outcome}: ${platform.detail}`, unrecorded);
  if (o.verify.healthUrl) {
    o.onStep?.('verify', `${o.verify.healthUrl} must answer ok ${o.verify.checks} times in a row`);
    result.health = await checkHealth({ url: o.verify.healthUrl, ...o.verify, signal: o.signal });
    if (!result.health.ok)
      return fail(o, s, rec, `the app's health check failed (${describeHealth(result.health)})`, unrecorded);
  } else result.notes.push('no deploy.verify.health_url: the app was not checked after the switch');
  const keepUntil = new Date(Date.now() + o.keepMs).toISOString();
  unrecorded.push(
    ...(await record(s, rec, { step: 'done', outcome: 'switched', keepUntil, detail: platform.detail })),
  );
  await stampTarget(o, s.target);
  result.keepUntil = keepUntil;
  result.notes.push(
    ...unrecorded,
    `writes made to ${rec.fromDatabase} after the validation are not in ${rec.toDatabase}`,
    `update ${o.env}'s url in pgward.yaml (or the variable it reads) to the new database`,
    `${rec.fromDatabase} is kept; after ${keepUntil}, if nothing uses it: DROP DATABASE "${rec.fromDatabase.replace(/"/g, '""')}"; (on ${rec.fromUrl.replace(/\/[^/?]*(\?.*)?$/, '/postgres')})`,
  );
  return { ...result, outcome: 'switched' };
}

/** The new database is the environment now: stamped, so any spelling of its URL is recognised as it. */
async function stampTarget(o: SwitchOptions, target: pg.Client): Promise<void> {
  const isProtected =
    environmentPolicy(o.config, o.env)?.protected ?? isProtectedEnvironment(o.env, undefined);
  await writeStamp(target, await readDatabaseIdentity(target), o.env, isProtected).catch(() => false);
}

function describeHealth(h: HealthResult): string {
  return h.last
    ? `last answer: ${h.last.error ?? `HTTP ${h.last.status}`}, ${h.attempts} attempts`
    : 'no answer';
}

/** Points the app back at the old database (never cut short by Ctrl-C: it is the way back) and checks it. */
async function pointBack(o: SwitchOptions, rec: SwitchRecord): Promise<{ ok: boolean; detail: string }> {
  o.onStep?.('revert', `pointing the app back at ${rec.fromDatabase}`);
  const platform = await setUrl(o.provider, o.sourceUrl, { deployId: `${rec.id}-back` });
  if (platform.outcome !== 'live') return { ok: false, detail: platform.detail };
  if (!o.verify.healthUrl) return { ok: true, detail: platform.detail };
  const h = await checkHealth({ url: o.verify.healthUrl, ...o.verify });
  return h.ok
    ? { ok: true, detail: platform.detail }
    : { ok: false, detail: `pointed back, but the app's health check failed (${describeHealth(h)})` };
}

async function fail(
  o: SwitchOptions,
  s: Sides,
  rec: SwitchRecord,
  why: string,
  unrecorded: string[],
): Promise<never> {
  unrecorded.push(...(await record(s, rec, { step: 'reverting', detail: why })));
  const back = await pointBack(o, rec);
  if (rec.readOnlySource)
    await setReadOnly(s.source, rec.fromDatabase, false).catch((err: Error) => unrecorded.push(err.message));
  const detail = `${why}; ${back.ok ? `the app was pointed back at ${rec.fromDatabase}` : `POINTING THE APP BACK FAILED: ${back.detail}`}`;
  unrecorded.push(...(await record(s, rec, { step: 'done', outcome: 'failed', detail })));
  throw new PgwardError(`switch of ${o.env} failed: ${detail}`, {
    details: [
      `writes the app made to ${rec.toDatabase} meanwhile are not in ${rec.fromDatabase}`,
      ...unrecorded,
    ],
    hint: back.ok
      ? `${rec.toDatabase} was kept as it is; fix the cause and switch again`
      : `set the app's database URL back to ${rec.fromUrl} on the platform by hand, now`,
  });
}
