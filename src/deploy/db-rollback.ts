// `pgward deploy rollback <deploy-id> --database down|restore --approve`: the database half of a rolled
// back deploy whose migrations were not backward compatible, only with an explicit approval.
// down: the down sections of exactly the deploy's migrations, through pgward's rollback (its gate, its
// pre-rollback backup); the approval is recorded for those files. restore: the pre-deploy backup
// restored into a NEW database (src/recover); production is never dropped or overwritten, the switch
// is printed for a person to run.
import { hostname } from 'node:os';
import { type ProjectOptions, resolveProject } from '../config/project.js';
import { appName, connect } from '../db/connect.js';
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import { compareVersions } from '../files/migration-files.js';
import { actor, readApplied } from '../migrate/history.js';
import { redactUrl } from '../redact.js';
import { type DatabaseRollback, type DeployRecord, readDeploy, saveDeploy } from './journal.js';
import { acquireDeployLock, releaseDeployLock } from './lock.js';
import { type WritesSince, writesSince } from './writes.js';

export interface DatabaseRollbackOptions extends ProjectOptions {
  deployId: string;
  how: 'down' | 'restore';
  /** The explicit approval: without it nothing changes (exit 6, the writes that would be lost named). */
  approve: boolean;
  signal?: AbortSignal | undefined;
  onProgress?: ((line: string) => void) | undefined;
}

export interface DatabaseRollbackResult {
  deployId: string;
  how: 'down' | 'restore';
  writesSince: WritesSince | null;
  /** down: the versions whose down sections ran. */
  rolledBack: string[];
  /** restore: the new database (password redacted) and what to run next. */
  restored: { database: string; url: string; backupId: string } | null;
  nextSteps: string[];
  exitCode: number;
}

function refuseUnless(d: DeployRecord, how: 'down' | 'restore'): void {
  if (d.databaseRollback?.ok)
    throw new UsageError(
      `deploy ${d.id}: its database was already rolled back (${d.databaseRollback.how} at ${d.databaseRollback.at})`,
    );
  if (!['rolled_back', 'rollback_failed', 'failed'].includes(d.status))
    throw new UsageError(
      `deploy ${d.id} is ${d.status}: only a failed or rolled-back deploy's database is rolled back`,
      'pgward deploy status shows it',
    );
  if (!d.steps.some((s) => s.name === 'migrate' && s.status === 'done') || !d.migrations.length)
    throw new UsageError(
      `deploy ${d.id} applied no migration: there is nothing to roll back in the database`,
    );
  if (how === 'restore' && !d.backupId)
    throw new UsageError(
      `deploy ${d.id} took no pre-deploy backup: --database restore has nothing to restore`,
      `use --database down, or recover a backup of your choosing: pgward recover --env ${d.env}`,
    );
}

/** The deploy's migrations must be the newest applied ones: a later migration would be rolled back too. */
async function assertNewest(client: import('pg').Client, d: DeployRecord): Promise<void> {
  const applied = (await readApplied(client)).sort((a, b) => compareVersions(b.version, a.version));
  const mine = new Set(d.migrations.map((m) => m.version));
  const newest = applied.slice(0, mine.size).map((a) => a.version);
  if (newest.length !== mine.size || newest.some((v) => !mine.has(v)))
    throw new PgwardError(
      `deploy ${d.id}: its migrations (${[...mine].join(', ')}) are not the newest applied ones (${newest.join(', ') || 'none'})`,
      {
        hint: 'roll back the later migrations first (pgward rollback), or restore the pre-deploy backup instead',
      },
    );
}

/**
 * Rolls back the database of a deploy (see the file comment). Throws PgwardError (exit 6) without
 * `approve`, naming the writes since the deploy; returns what was done otherwise.
 *
 * @example
 * ```ts
 * import { rollbackDeployDatabase } from 'pgward';
 * const r = await rollbackDeployDatabase({ env: 'production', deployId: 'dpl_20260101120000_a1b2c3', how: 'down', approve: true });
 * console.log(r.rolledBack, r.nextSteps);
 * ```
 */
export async function rollbackDeployDatabase(
  given: DatabaseRollbackOptions,
): Promise<DatabaseRollbackResult> {
  const opts = await resolveProject(given);
  const client = await connect(opts.target.url, { applicationName: appName('deploy rollback') });
  let locked = false;
  try {
    const found = await readDeploy(client, opts.deployId);
    if (!found)
      throw new UsageError(
        `no deploy ${opts.deployId} in the journal of ${redactUrl(opts.target.url)}`,
        'pgward deploy list shows them',
      );
    await acquireDeployLock(client, found.env);
    locked = true;
    const d = (await readDeploy(client, opts.deployId))!;
    refuseUnless(d, opts.how);
    const writes = d.writeBaseline ? await writesSince(client, d.writeBaseline) : null;
    if (!opts.approve) throw notApproved(d, opts.how, writes);
    if (opts.how === 'down') await assertNewest(client, d);
    const done = opts.how === 'down' ? await down(opts, d) : await restore(opts, d);
    const record: DatabaseRollback = {
      how: opts.how,
      at: new Date().toISOString(),
      by: `${actor()} (pid ${process.pid} on ${hostname()})`,
      ok: done.exitCode === ExitCode.ok,
      detail: done.detail,
      ...(done.restored ? { database: done.restored.database } : {}),
    };
    d.databaseRollback = record;
    await saveDeploy(client, d);
    return {
      deployId: d.id,
      how: opts.how,
      writesSince: writes,
      rolledBack: done.rolledBack,
      restored: done.restored,
      nextSteps: done.nextSteps,
      exitCode: done.exitCode,
    };
  } finally {
    if (locked) await releaseDeployLock(client).catch(() => {});
    await client.end().catch(() => {});
  }
}

function notApproved(d: DeployRecord, how: 'down' | 'restore', w: WritesSince | null): PgwardError {
  const which = d.migrations.filter((m) => !m.compatible).map((m) => `${m.version}_${m.name}`);
  const writes = w
    ? `${w.lowerBound ? 'at least ' : ''}${w.total} write(s) since the deploy`
    : 'an unknown number of writes since the deploy';
  const effect =
    how === 'down'
      ? `running the down sections of ${d.migrations.map((m) => m.version).join(', ')} may lose or alter data behind ${writes}`
      : `the restored copy will not hold ${writes}`;
  return new PgwardError(
    `deploy ${d.id}: nothing changed without --approve; ${effect}${which.length ? ` (not backward compatible: ${which.join(', ')})` : ''}`,
    {
      exitCode: ExitCode.gateBlocked,
      hint: `pgward deploy rollback ${d.id} --env ${d.env} --database ${how} --approve`,
    },
  );
}

interface Done {
  exitCode: number;
  detail: string;
  rolledBack: string[];
  restored: DatabaseRollbackResult['restored'];
  nextSteps: string[];
}

async function down(
  opts: DatabaseRollbackOptions & Awaited<ReturnType<typeof resolveProject>>,
  d: DeployRecord,
): Promise<Done> {
  const { rollback } = await import('../migrate/rollback.js');
  const versions = d.migrations.map((m) => m.version);
  const r = await rollback({
    target: opts.target,
    source: opts.source,
    config: opts.config,
    steps: versions.length,
    approve: versions,
    signal: opts.signal,
    onEvent: (e) => {
      if (e.type === 'rolled-back') opts.onProgress?.(`rolled back ${e.version}_${e.name}`);
    },
  });
  const rolledBack = r.rolledBack.map((m) => m.version);
  if (r.blocked.length)
    return {
      exitCode: ExitCode.gateBlocked,
      detail: `down blocked by the gate: ${r.blocked.map((b) => b.version).join(', ')}`,
      rolledBack,
      restored: null,
      nextSteps: [],
    };
  if (r.failure)
    return {
      exitCode: ExitCode.runtime,
      detail: `down of ${r.failure.version} failed: ${r.failure.message}`,
      rolledBack,
      restored: null,
      nextSteps: [`pgward status --env ${d.env}`],
    };
  return {
    exitCode: r.exitCode,
    detail: `down sections run: ${rolledBack.join(', ')}`,
    rolledBack,
    restored: null,
    nextSteps: [],
  };
}

async function restore(
  opts: DatabaseRollbackOptions & Awaited<ReturnType<typeof resolveProject>>,
  d: DeployRecord,
): Promise<Done> {
  const { backupSettings, openStorage } = await import('../backup/index.js');
  const { recover } = await import('../recover/recover.js');
  const s = backupSettings(opts.config);
  const storage = await openStorage(s.storageUrl, { baseDir: s.baseDir, s3: s.s3 });
  const r = await recover({
    storage,
    env: d.env,
    envUrl: opts.target.url,
    config: opts.config,
    backup: d.backupId!,
    signal: opts.signal,
    onStep: (step, detail) => opts.onProgress?.(`restore: ${step}${detail ? ` ${detail}` : ''}`),
  });
  const switchCmd = `pgward switch --env ${d.env} --to '${r.url}'`;
  return {
    exitCode: ExitCode.ok,
    detail: `backup ${r.backup.id} restored into the new database ${r.database}; production untouched`,
    rolledBack: [],
    restored: { database: r.database, url: r.url, backupId: r.backup.id },
    nextSteps: [`${switchCmd}   (points the app at ${r.database}; the old database is kept)`, ...r.nextSteps],
  };
}
