// `pgward rehearse --env <name>`: a throwaway copy of the environment (clone, or restore of its latest
// verified backup) on the rehearsal server, the pending migrations run on it by the real runner with the
// environment's policy, every statement traced, smoke checks, verdict against the budget, copy dropped.

import { randomBytes } from 'node:crypto';
import { filterBackups, readCatalog } from '../backup/catalog.js';
import { backupSettings } from '../backup/config.js';
import { restoreBackup } from '../backup/restore.js';
import { drillPassed } from '../backup/retention.js';
import { openStorage } from '../backup/storage.js';
import { clone } from '../clone/clone.js';
import type { MaskingPlan } from '../clone/config.js';
import { identify } from '../clone/refuse.js';
import type { LoadedConfig } from '../config/load.js';
import type { MigrationsSource, Target } from '../config/target.js';
import { appName, connect, withClient } from '../db/connect.js';
import { createOwnedDatabase, type OwnedDatabase, sweepBeforeRun } from '../db/owned.js';
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import { formatDuration } from '../format/units.js';
import type { RunnableFramework } from '../frameworks/commands.js';
import { sameServer } from '../identity/database.js';
import { type IdentifiedTarget, identifyTarget } from '../identity/identify.js';
import { refuseEnvironmentDatabase } from '../identity/refuse.js';
import { InterruptedError, isInterrupted, throwIfAborted } from '../interrupt.js';
import { migrate } from '../migrate/migrate.js';
import { resolveFramework } from '../migrate/status.js';
import { databaseOf, withDatabase } from '../pgtools/exec.js';
import { redactUrl } from '../redact.js';
import type { RehearsalSettings } from './config.js';
import { type CopyRun, rehearseFramework } from './framework.js';
import { lockName } from './trace.js';
import { type MigrationTrace, Tracer } from './tracer.js';

/** A failed migration keeps its own code; a run that only exceeded the budget exits 9. */
function rehearsalExit(migrationExit: number, overBudget: boolean): number {
  if (migrationExit !== ExitCode.ok) return migrationExit;
  return overBudget ? ExitCode.rehearsalOverBudget : ExitCode.ok;
}

export type RehearseStep = 'sweep' | 'copy' | 'migrate' | 'smoke' | 'drop';

export interface RehearseOptions {
  config: LoadedConfig | undefined;
  target: Target;
  source: MigrationsSource;
  settings: RehearsalSettings;
  masking?: MaskingPlan;
  /** Backup id (or prefix) to restore instead of cloning. */
  backup?: string | undefined;
  /** Keep the copy afterwards (for inspection); its URL is in the result. */
  keep?: boolean;
  signal?: AbortSignal;
  onStep?: (step: RehearseStep, detail?: string) => void;
  /** Framework projects: replaces the framework's migrate command (default: migrations.command, else its own). */
  command?: string[] | undefined;
  /** Framework projects: where the framework's command runs (default: the project's root). */
  root?: string | undefined;
  /** Framework projects: the framework's own output (default: discarded; its last lines explain a failure). */
  onOutput?: (chunk: Buffer) => void;
}

export interface MigrationVerdict extends MigrationTrace {
  verdict: 'ok' | 'over budget' | 'failed' | 'not run';
  reasons: string[];
}

export interface SmokeResult {
  check: string;
  ok: boolean;
  error?: string;
}

export interface RehearseResult {
  env: string;
  /** Who ran the migrations on the copy: 'pgward' (or 'dbmate' files) or the framework behind the guard. */
  framework: string;
  copy: {
    method: 'clone' | 'backup' | 'neon';
    backup?: string;
    /** --via neon: the branch the rehearsal ran on (deleted afterwards unless kept). */
    branch?: { id: string; name: string };
    database: string;
    url: string;
    durationMs: number;
    kept: boolean;
  };
  budget: { maxLockSeconds: number; maxDurationMs: number | null };
  migrations: MigrationVerdict[];
  smoke: SmokeResult[];
  durationMs: number;
  ok: boolean;
  exitCode: number;
}

function scratchName(env: string): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `pgward_rehearse_${env.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 20)}_${stamp}_${randomBytes(2).toString('hex')}`;
}

export function judgeMigration(m: MigrationTrace, s: RehearsalSettings): MigrationVerdict {
  if (m.status === 'not run') return { ...m, verdict: 'not run', reasons: ['an earlier migration failed'] };
  if (m.status === 'failed')
    return { ...m, verdict: 'failed', reasons: [`line ${m.error?.line}: ${m.error?.message}`] };
  const reasons: string[] = [];
  const w = m.worstLock;
  if (w?.blocking && w.heldMs > s.maxLockMs)
    reasons.push(
      `${lockName(w.mode)} on ${w.relation} held ${formatDuration(w.heldMs, { style: 'seconds', digits: 2 })} > ${s.maxLockMs / 1000}s`,
    );
  if (s.maxDurationMs !== null && m.durationMs > s.maxDurationMs)
    reasons.push(
      `took ${formatDuration(m.durationMs, { style: 'seconds', digits: 2 })} > ${s.maxDurationMs / 1000}s`,
    );
  return { ...m, verdict: reasons.length ? 'over budget' : 'ok', reasons };
}

async function makeCopy(
  o: RehearseOptions,
  serverUrl: string,
  name: string,
): Promise<{ method: 'clone' | 'backup'; backup?: string }> {
  const useBackup = o.backup !== undefined || o.settings.source === 'backup';
  const url = withDatabase(serverUrl, name);
  if (!useBackup) {
    await clone({
      source: { url: o.target.url, env: o.target.env },
      target: { url, env: 'rehearsal' },
      jobs: o.settings.jobs,
      masking: o.masking,
      signal: o.signal,
    });
    return { method: 'clone' };
  }
  const s = backupSettings(o.config);
  const storage = await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 });
  let ref = o.backup;
  if (!ref) {
    // A drill-passed backup whose archive has gone is not a backup to rehearse on (nor to recover from).
    const { backups, missingArchives } = await readCatalog(storage);
    const missing = new Set(missingArchives);
    const verified = filterBackups(backups, { env: o.target.env }).find(
      (m) => drillPassed(m) && !missing.has(m.id),
    );
    if (!verified)
      throw new PgwardError(`no verified backup of ${o.target.env ?? 'this database'} to rehearse on`, {
        hint: 'run `pgward backup verify` on a backup, pass --backup <id>, or use rehearsal.source: clone',
      });
    ref = verified.id;
  }
  const r = await restoreBackup({
    storage,
    ref,
    sourceEnv: o.target.env,
    targetUrl: url,
    noOwner: true,
    jobs: o.settings.jobs,
    signal: o.signal,
    skipSweep: true,
  });
  return { method: 'backup', backup: r.id };
}

export async function identified(o: RehearseOptions): Promise<IdentifiedTarget> {
  if ('identification' in o.target) return o.target as IdentifiedTarget;
  return identifyTarget(o.target, { config: o.config });
}

/** A rehearsal copy that identifies as an environment (a stamp that matches it) is never migrated. */
export async function refuseCopyAsEnvironment(o: RehearseOptions, url: string): Promise<void> {
  await refuseEnvironmentDatabase(url, {
    config: o.config,
    what: 'rehearse on a copy identified as',
    hint: 'rehearsal.server must be a scratch server: not any environment’s own',
  });
}

async function smokeChecks(url: string, extra: string[]): Promise<SmokeResult[]> {
  return withClient(url, async (c) => {
    const out: SmokeResult[] = [];
    const invalid = await c.query<{ i: string }>(
      'SELECT indexrelid::regclass::text AS i FROM pg_index WHERE NOT indisvalid',
    );
    out.push({
      check: 'no invalid indexes',
      ok: invalid.rows.length === 0,
      ...(invalid.rows.length ? { error: invalid.rows.map((r) => r.i).join(', ') } : {}),
    });
    const tables = await c.query<{ t: string }>(`
      SELECT c.oid::regclass::text AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%'`);
    const unreadable: string[] = [];
    for (const { t } of tables.rows) {
      try {
        await c.query(`SELECT 1 FROM ${t} LIMIT 1`);
      } catch (err) {
        unreadable.push(`${t}: ${(err as Error).message}`);
      }
    }
    out.push({
      check: 'every table and view readable',
      ok: unreadable.length === 0,
      ...(unreadable.length ? { error: unreadable.join('; ') } : {}),
    });
    for (const sql of extra) {
      try {
        const r = await c.query(sql);
        const first = r.rows[0] ? Object.values(r.rows[0])[0] : undefined;
        out.push(
          first === false ? { check: sql, ok: false, error: 'returned false' } : { check: sql, ok: true },
        );
      } catch (err) {
        out.push({ check: sql, ok: false, error: (err as Error).message });
      }
    }
    return out;
  });
}

/** The server rehearsals run on: configured, and never the environment's own server. */
async function rehearsalServer(o: RehearseOptions, env: string): Promise<string> {
  const server = o.settings.server;
  if (!server)
    throw new UsageError(
      'no rehearsal server: set rehearsal.server in pgward.yaml (or pass --server <url>)',
      'any database URL on a server where pgward may create and drop a scratch database; not production’s own server',
    );
  const [envId, serverId] = await Promise.all([identify(o.target.url), identify(server)]);
  if (sameServer(envId, serverId))
    throw new UsageError(
      `rehearsal.server is ${env}'s own server: a rehearsal there would load it with a full copy and the migrations`,
      'point rehearsal.server at another server (a staging or CI server)',
    );
  return server;
}

/** Migrates the copy with a tracer sampling locks from a second connection. */
async function migrateTraced(o: RehearseOptions, url: string) {
  const sampler = await connect(url, { applicationName: appName('rehearse sampler') });
  const tracer = new Tracer(sampler);
  try {
    // The copy is nobody's database: no environment name, no stamp, and never a pre-migrate backup
    // (it would land in the environment's catalog and could be "recovered" as the environment).
    const result = await migrate({
      target: {
        ...o.target,
        env: undefined,
        url,
        policy: { ...o.target.policy, backupBeforeMigrate: false },
      },
      source: o.source,
      throwaway: true,
      skipGate: true,
      signal: o.signal,
      onEvent: tracer.onEvent,
      tracer,
    });
    return { result, tracer };
  } finally {
    await sampler.end().catch(() => {});
  }
}

/** Migrates the copy: pgward's runner, or the framework's own command behind the guard. */
async function migrateCopy(o: RehearseOptions, url: string): Promise<CopyRun> {
  const framework = await withClient(url, (c) => resolveFramework(o.source, c), {
    applicationName: appName('rehearse'),
  });
  if (framework !== 'pgward' && framework !== 'dbmate')
    return rehearseFramework(o, url, framework as RunnableFramework);
  const { result, tracer } = await migrateTraced(o, url);
  return { framework, migrations: tracer.migrations, exitCode: result.exitCode, failed: !!result.failure };
}

export type CopyVerdict = Pick<
  RehearseResult,
  'framework' | 'budget' | 'migrations' | 'smoke' | 'ok' | 'exitCode'
>;

/** The part of a rehearsal after the copy exists: migrate it traced, smoke checks, the verdict. */
export async function rehearseCopy(o: RehearseOptions, url: string): Promise<CopyVerdict> {
  o.onStep?.('migrate');
  const run = await migrateCopy(o, url);
  const migrations = run.migrations.map((m) => judgeMigration(m, o.settings));
  o.onStep?.('smoke');
  const smoke = run.failed ? [] : await smokeChecks(url, o.settings.smoke);
  const failed =
    migrations.some((m) => m.verdict === 'failed') || smoke.some((s) => !s.ok) || run.exitCode !== 0;
  const over = migrations.some((m) => m.verdict === 'over budget');
  return {
    framework: run.framework,
    budget: { maxLockSeconds: o.settings.maxLockMs / 1000, maxDurationMs: o.settings.maxDurationMs },
    migrations,
    smoke,
    ok: !failed && !over,
    exitCode: rehearsalExit(failed ? run.exitCode || ExitCode.runtime : ExitCode.ok, over),
  };
}

/**
 * What `pgward rehearse` does: applies the pending migrations to a throwaway copy and traces their locks.
 *
 * @example
 * ```ts
 * import { rehearsalSettings, rehearse, resolveProject } from 'pgward';
 * const { config, target, source } = await resolveProject({ env: 'production' });
 * const settings = rehearsalSettings(config, target.policy.migrationTimeoutMs);
 * const r = await rehearse({ config, target, source, settings });
 * console.log(r.exitCode);
 * ```
 */
export async function rehearse(given: RehearseOptions): Promise<RehearseResult> {
  const started = Date.now();
  // The environment is what the database is, however its URL was spelled: its catalog, masking and name.
  const o = { ...given, target: await identified(given) };
  const env = o.target.env ?? 'database';
  const server = await rehearsalServer(o, env);
  const name = scratchName(env);
  const url = withDatabase(server, name);
  const adminUrl = databaseOf(server) === name ? withDatabase(server, 'postgres') : server;
  let created: OwnedDatabase | undefined;
  let kept = false;
  // Rehearsal copies left by killed runs on this server go first.
  await sweepBeforeRun(adminUrl, (line) => o.onStep?.('sweep', line));
  try {
    throwIfAborted(o.signal, 'rehearse');
    o.onStep?.('copy', name);
    const t0 = Date.now();
    // Marked 'in-progress' while it exists: a killed rehearsal's copy is found and dropped next time.
    created = await createOwnedDatabase(adminUrl, name, 'rehearse');
    const copy = await makeCopy(o, adminUrl, name);
    const copyMs = Date.now() - t0;
    await refuseCopyAsEnvironment(o, url);

    const verdict = await rehearseCopy(o, url);
    throwIfAborted(o.signal, 'rehearse');
    kept = o.keep === true;
    if (kept) await created.setState('kept');
    return {
      env,
      ...verdict,
      copy: { ...copy, database: name, url: redactUrl(url), durationMs: copyMs, kept },
      durationMs: Date.now() - started,
    };
  } catch (err) {
    if (o.signal?.aborted || isInterrupted(err))
      throw new InterruptedError('rehearse', `the copy ${name} was dropped, nothing was recorded`);
    throw err;
  } finally {
    if (created && !kept) {
      o.onStep?.('drop', name);
      await created.drop().catch(() => {});
    }
    created?.release();
  }
}
