// `pgward promote --from staging --to production`: the checks that must pass before what runs on staging
// is deployed to production. Staging is healthy (doctor has no failure; its health URL answers ok when one
// is configured), staging applied exactly the migrations production will have after its pending ones,
// and staging's latest rehearsal or restore drill passed. Each failed check gives its reasons, one line
// each. Read-only on both databases.
import type { LoadedConfig } from '../config/load.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { appName, withClient } from '../db/connect.js';
import { backupsInfo } from '../doctor/backups.js';
import { runDoctor } from '../doctor/doctor.js';
import { readDatabaseIdentity, sameDatabase } from '../identity/database.js';
import { statusWithClient } from '../migrate/status.js';
import { checkHealth } from '../platform/health.js';
import { redact } from '../redact.js';
import { latestRehearsal } from '../rehearse/record.js';
import { compareMigrations } from './promote-migrations.js';
import { verifySettings } from './switch-provider.js';

export type PromoteCheckName = 'distinct' | 'healthy' | 'migrations' | 'proven';

export interface PromoteCheck {
  name: PromoteCheckName;
  ok: boolean;
  /** What was checked, in one line. */
  summary: string;
  /** Why it failed, one line per reason. */
  reasons: string[];
}

export interface PromoteReport {
  from: string;
  to: string;
  ok: boolean;
  checks: PromoteCheck[];
  /** Migrations production would apply (the ones the deploy brings). */
  pending: string[];
}

export interface PromoteOptions {
  from: Target;
  to: Target;
  source: MigrationsSource;
  config?: LoadedConfig | undefined;
  signal?: AbortSignal;
  onStep?: (step: string, detail?: string) => void;
}

const check = (name: PromoteCheckName, summary: string, reasons: string[]): PromoteCheck => ({
  name,
  ok: reasons.length === 0,
  summary,
  reasons,
});

async function distinct(o: PromoteOptions): Promise<PromoteCheck> {
  const [a, b] = await Promise.all(
    [o.from, o.to].map((t) =>
      withClient(t.url, readDatabaseIdentity, { applicationName: appName('promote') }),
    ),
  );
  return check(
    'distinct',
    `${o.from.env} and ${o.to.env} are different databases`,
    sameDatabase(a!, b!) ? [`${o.from.env} and ${o.to.env} reach one database (${a!.database})`] : [],
  );
}

async function healthy(o: PromoteOptions): Promise<PromoteCheck> {
  const env = o.from.env!;
  const report = await runDoctor({ target: o.from, source: o.source, config: o.config, backups: false });
  const reasons = report.checks
    .filter((c) => c.status === 'fail')
    .map((c) => `${env} doctor: ${c.title}: ${c.summary}`);
  const verify = verifySettings(o.config?.raw.environments?.[env]?.deploy);
  let summary = `${env}: doctor ${report.status}`;
  if (verify.healthUrl) {
    const h = await checkHealth({ url: verify.healthUrl, ...verify, signal: o.signal });
    summary += `; ${verify.healthUrl} ${h.ok ? `ok ${h.consecutive} times in a row` : 'not ok'}`;
    if (!h.ok)
      reasons.push(
        `${env}'s app is not healthy: ${verify.healthUrl} ${h.last?.error ?? 'did not answer'} (${verify.checks} ok answers in a row needed)`,
      );
  }
  return check('healthy', summary, reasons);
}

async function migrations(o: PromoteOptions): Promise<{ check: PromoteCheck; pending: string[] }> {
  const read = (t: Target) =>
    withClient(t.url, (c) => statusWithClient(c, { target: t, source: o.source }), {
      applicationName: appName('promote'),
    });
  const [from, to] = await Promise.all([read(o.from), read(o.to)]);
  const reasons = compareMigrations({ env: o.from.env!, report: from }, { env: o.to.env!, report: to });
  const pending = to.pending.map((p) => `${p.version}_${p.name}`);
  return {
    check: check(
      'migrations',
      `${o.from.env} applied what ${o.to.env} will have (${to.framework}, ${pending.length} pending on ${o.to.env})`,
      reasons,
    ),
    pending,
  };
}

/** The newest of staging's recorded rehearsal (pgward.rehearsals) and restore drill (backup catalog). */
async function proven(o: PromoteOptions): Promise<PromoteCheck> {
  const env = o.from.env!;
  const rehearsal = await withClient(o.from.url, latestRehearsal, { applicationName: appName('promote') });
  let drill: { at: string; ok: boolean; what: string } | null = null;
  try {
    const b = await backupsInfo(o.config, env);
    if (b.lastDrill)
      drill = {
        at: b.lastDrill.at,
        ok: b.lastDrill.ok,
        what: `restore drill of backup ${b.lastDrill.backupId}${b.lastDrill.firstDifference ? ` (${b.lastDrill.firstDifference})` : ''}`,
      };
  } catch (err) {
    o.onStep?.('catalog', `cannot read ${env}'s backup catalog: ${redact((err as Error).message)}`);
  }
  const candidates = [
    ...(rehearsal
      ? [{ at: rehearsal.at, ok: rehearsal.ok, what: `rehearsal (exit ${rehearsal.exitCode})` }]
      : []),
    ...(drill ? [drill] : []),
  ].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const latest = candidates[0];
  if (!latest)
    return check('proven', `${env}: latest rehearsal or restore drill`, [
      `${env} has no rehearsal or restore drill on record: run \`pgward rehearse --env ${env} --record\` or \`pgward backup verify latest --env ${env}\``,
    ]);
  return check(
    'proven',
    `${env}: latest is a ${latest.what} at ${latest.at}, ${latest.ok ? 'passed' : 'failed'}`,
    latest.ok ? [] : [`${env}'s latest ${latest.what} at ${latest.at} failed`],
  );
}

/**
 * The checks `pgward promote` runs before deploying `from`'s state to `to` (read-only).
 *
 * @example
 * ```ts
 * import { loadConfig, promoteChecks, resolveMigrationsSource, resolveTarget } from 'pgward';
 * const config = loadConfig('pgward.yaml');
 * const r = await promoteChecks({
 *   from: resolveTarget({ config, env: 'staging' }),
 *   to: resolveTarget({ config, env: 'production' }),
 *   source: resolveMigrationsSource(config),
 *   config,
 * });
 * for (const c of r.checks) console.log(c.ok ? 'ok' : 'NO', c.summary, c.reasons);
 * ```
 */
export async function promoteChecks(o: PromoteOptions): Promise<PromoteReport> {
  const checks: PromoteCheck[] = [await distinct(o)];
  o.onStep?.('check', `${o.from.env} is healthy`);
  checks.push(await healthy(o));
  o.onStep?.('check', `${o.from.env} applied what ${o.to.env} will have`);
  const m = await migrations(o);
  checks.push(m.check);
  o.onStep?.('check', `${o.from.env}'s latest rehearsal or restore drill passed`);
  checks.push(await proven(o));
  return {
    from: o.from.env!,
    to: o.to.env!,
    ok: checks.every((c) => c.ok),
    checks,
    pending: m.pending,
  };
}
