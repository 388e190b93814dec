// The refusals that come before anything is touched: never into a protected environment, never into
// the database being read, never over data without --clean.
import type { PoolerSetting } from '../config/target.js';
import { withClient } from '../db/connect.js';
import { ExitCode, PgwardError, UsageError } from '../errors.js';
import {
  type DatabaseIdentity,
  describeIdentity,
  readDatabaseIdentity,
  sameDatabase,
} from '../identity/database.js';
import { describeMatch, type Identification, identifyTarget, protectedMatch } from '../identity/identify.js';
import { targetFor } from '../identity/refuse.js';
import { redactUrl } from '../redact.js';

export interface Endpoint {
  url: string;
  env?: string | undefined;
  protected?: boolean;
  /** What is in front of the URL (pgward.yaml `pooler:`); a clone refuses a transaction pooler. */
  pooler?: PoolerSetting | undefined;
  /** Set by resolveEndpoint: which database the URL reaches and which environments it is. */
  identification?: Identification | undefined;
}

interface Identity extends DatabaseIdentity {
  version: number;
}

/**
 * What the server says it is (cluster system identifier, database oid, version), so that every
 * spelling of one database (localhost, 127.0.0.1, host name, socket) is recognised as that database.
 */
export async function identify(url: string): Promise<Identity> {
  return withClient(url, async (c) => {
    const id = await readDatabaseIdentity(c);
    const r = await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return { ...id, version: Number(r.rows[0]!.v) };
  });
}

/** The target's identification: resolveEndpoint's, else (library callers) its stamps and name. */
async function targetIdentification(target: Endpoint): Promise<Identification> {
  if (target.identification) return target.identification;
  const t = targetFor(undefined, target.env, target.url);
  const id = await identifyTarget({ ...t, protected: t.protected || target.protected === true });
  return id.identification;
}

export async function refuseUnsafeClone(
  source: Endpoint,
  target: Endpoint,
  opts: { clean: boolean; isEmpty: () => Promise<boolean> },
): Promise<{ source: Identity; target: Identity }> {
  const targetId = await targetIdentification(target);
  const guarded = protectedMatch(targetId);
  if (guarded || target.protected) {
    const what = guarded ? describeMatch(guarded, targetId) : (target.env ?? redactUrl(target.url));
    throw new PgwardError(`refusing to clone into protected environment ${what}`, {
      exitCode: ExitCode.gateBlocked,
      hint: 'clones overwrite their target; pick a non-protected environment (protected: false in pgward.yaml) or a scratch database URL',
    });
  }
  if (source.env !== undefined && source.env === target.env)
    throw new UsageError(`--from and --to are the same environment (${source.env})`);
  const [s, t] = await Promise.all([identify(source.url), identify(target.url)]);
  if (sameDatabase(s, t)) {
    throw new UsageError(
      `--from and --to are the same database (${t.database} on ${redactUrl(target.url)}; ${describeIdentity(t)})`,
      'a clone reads the source and overwrites the target: they must differ',
    );
  }
  if (!opts.clean && !(await opts.isEmpty())) {
    throw new PgwardError(`target database ${t.database} is not empty: nothing was changed`, {
      exitCode: ExitCode.gateBlocked,
      hint: 'pass --clean to drop everything in it first, or clone into an empty database',
    });
  }
  return { source: s, target: t };
}

/**
 * Empties the target: every user schema dropped, `public` recreated. Used by --clean before the copy,
 * and after a failed copy, so a half-filled database is never left looking like a finished clone.
 * `keep` names schemas to leave (the clone's own incomplete-clone mark).
 */
export async function wipeDatabase(url: string, opts: { keep?: string[] } = {}): Promise<void> {
  const keep = new Set(opts.keep ?? []);
  await withClient(url, async (c) => {
    const schemas = await c.query<{ s: string }>(`
      SELECT nspname AS s FROM pg_namespace
      WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%'
        AND nspname NOT LIKE 'pg\\_temp%'`);
    const v = Number(
      (await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v,
    );
    for (const { s } of schemas.rows.filter((r) => !keep.has(r.s)))
      await c.query(`DROP SCHEMA "${s.replace(/"/g, '""')}" CASCADE`);
    await c.query(
      v >= 150000 ? 'CREATE SCHEMA public AUTHORIZATION pg_database_owner' : 'CREATE SCHEMA public',
    );
    if (v < 150000) await c.query('GRANT ALL ON SCHEMA public TO PUBLIC');
  });
}
