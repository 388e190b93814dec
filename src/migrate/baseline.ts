// `pgward baseline`: adopt an existing database. Records migrations as applied without running them,
// either every file up to a version, or exactly what dbmate recorded (same file format, same versions).

import { type ProjectOptions, resolveProject } from '../config/project.js';
import { appName, connect, quoteIdent } from '../db/connect.js';
import { sessionOf } from '../db/pooler.js';
import { PgwardError, UsageError } from '../errors.js';
import { compareVersions, loadMigrations } from '../files/migration-files.js';
import { identifyForWrite } from '../identity/identify.js';
import { PGWARD_VERSION } from '../version.js';
import { actor, ensureHistory, readApplied } from './history.js';
import { acquireMigrationLock, unlock } from './lock.js';

/** Where (ProjectOptions: `url`/`env`/`dir`/`config` like the CLI flags, or `target` + `source`) and what to record.
 * pgward.yaml's environments are probed to identify the database reached (any URL spelling). */
export interface BaselineOptions extends ProjectOptions {
  /** Record every file with a version up to and including this one. */
  to?: string | undefined;
  /** Record the versions that dbmate's schema_migrations table holds. */
  importFrom?: 'dbmate' | undefined;
  lockWaitMs?: number | undefined;
}

export interface BaselineResult {
  recorded: { version: string; name: string }[];
  alreadyApplied: number;
}

/**
 * What `pgward baseline` does: adopts an existing database by recording migrations as applied without
 * running them (every file up to `to`, or what dbmate recorded with `importFrom: 'dbmate'`).
 *
 * @example
 * ```ts
 * import { baseline } from 'pgward';
 * const r = await baseline({ url: process.env.DATABASE_URL, dir: 'db/migrations', to: '20240101000000' });
 * console.log(`recorded ${r.recorded.length}, ${r.alreadyApplied} already applied`);
 * ```
 */
export async function baseline(given: BaselineOptions): Promise<BaselineResult> {
  let opts = await resolveProject(given);
  if ((opts.to === undefined) === (opts.importFrom === undefined)) {
    throw new UsageError('baseline needs exactly one of --to <version> or --import dbmate');
  }
  const { files } = loadMigrations(opts.source.dir);
  if (opts.to !== undefined && !files.some((f) => f.version === opts.to)) {
    throw new UsageError(`--to ${opts.to}: no migration file has that version`);
  }
  const client = await connect(opts.target.url, { applicationName: appName('baseline') });
  let locked = false;
  try {
    // Gate, policy and stamp follow the database actually reached, not the URL's spelling.
    const session = sessionOf(opts.target);
    opts = { ...opts, target: await identifyForWrite(client, opts.target, opts) };
    await acquireMigrationLock(client, { session, waitMs: opts.lockWaitMs ?? 60_000 });
    locked = true;
    let wanted: Set<string>;
    if (opts.importFrom === 'dbmate') {
      const table = opts.source.table ?? 'schema_migrations';
      const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
      if (!exists.rows[0]?.ok) throw new PgwardError(`no dbmate table "${table}" in this database`);
      const rows = await client.query<{ version: string }>(
        `SELECT version::text AS version FROM ${table.split('.').map(quoteIdent).join('.')}`,
      );
      wanted = new Set(rows.rows.map((r) => r.version));
    } else {
      wanted = new Set(files.filter((f) => compareVersions(f.version, opts.to!) <= 0).map((f) => f.version));
    }
    await ensureHistory(client);
    const applied = new Set((await readApplied(client)).map((a) => a.version));
    const recorded: BaselineResult['recorded'] = [];
    await client.query('BEGIN');
    for (const f of files) {
      if (!wanted.has(f.version) || applied.has(f.version)) continue;
      await client.query(
        `INSERT INTO pgward.migrations (version, name, checksum, duration_ms, applied_by, pgward_version)
         VALUES ($1, $2, $3, 0, $4, $5)`,
        [f.version, f.name, f.checksum, `${actor()} (baseline)`, PGWARD_VERSION],
      );
      recorded.push({ version: f.version, name: f.name });
    }
    await client.query('COMMIT');
    return { recorded, alreadyApplied: applied.size };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    if (locked) await unlock(client).catch(() => {});
    await client.end().catch(() => {});
  }
}
