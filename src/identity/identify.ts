// Which environment(s) a connected database is, decided from what the server says it is, never from how
// its URL is spelled: the environment named on the command line, the stamps in pgward.identity that
// belong to this very database, and every configured environment whose URL reaches the same database.
import type pg from 'pg';
import type { LoadedConfig } from '../config/load.js';
import {
  defaultPolicy,
  environmentPolicy,
  isProtectedEnvironment,
  type Policy,
  type Target,
} from '../config/target.js';
import { appName, connect } from '../db/connect.js';
import { type DatabaseIdentity, describeIdentity, readDatabaseIdentity, sameDatabase } from './database.js';
import { HOW, type IdentitySummary, type MatchedBy } from './describe.js';
import { strictestPolicy } from './policy.js';
import { probeEnvironments, rememberIdentity } from './probe.js';
import { readStamps, writeStamp } from './stamp.js';

export interface EnvironmentMatch {
  env: string;
  /** How it matched: named on the command line, by a pgward.identity stamp, by probing its URL. */
  by: MatchedBy[];
  protected: boolean;
}

export interface Identification {
  identity: DatabaseIdentity;
  matches: EnvironmentMatch[];
  /** Configured environments whose URL could not be resolved or reached: they could not be compared. */
  unverified: { env: string; reason: string }[];
}

/** A Target whose env, protection and policy come from the identity of the database it reaches. */
export interface IdentifiedTarget extends Target {
  identification: Identification;
}

export interface IdentifyOptions {
  config?: LoadedConfig | undefined;
  /** An open connection to target.url (reused: no second connection). */
  client?: pg.Client | undefined;
  processEnv?: NodeJS.ProcessEnv;
}

/**
 * Which environment(s) the database a target reaches is, from what the server says (pgward.identity
 * stamps, configured environments whose URL reaches the same database), with the policy that follows:
 * the strictest of them. Read-only: it never stamps.
 *
 * @example
 * ```ts
 * import { identifyTarget, loadConfig, resolveTarget } from 'pgward';
 * const config = loadConfig('pgward.yaml');
 * const t = await identifyTarget(resolveTarget({ config, url: 'postgresql://localhost/app' }), { config });
 * console.log(t.env, t.protected, t.identification.matches.map((m) => `${m.env}: ${m.by.join(', ')}`));
 * ```
 */
export async function identifyTarget(target: Target, opts: IdentifyOptions = {}): Promise<IdentifiedTarget> {
  const identification = opts.client
    ? await identifyConnected(opts.client, target, opts)
    : await identifyUrl(target, opts);
  return { ...effectiveTarget(target, identification, opts.config), identification };
}

async function identifyUrl(target: Target, opts: IdentifyOptions): Promise<Identification> {
  const client = await connect(target.url, { applicationName: appName('identify') });
  try {
    return await identifyConnected(client, target, opts);
  } finally {
    await client.end().catch(() => {});
  }
}

async function identifyConnected(client: pg.Client, target: Target, opts: IdentifyOptions) {
  const identity = await readDatabaseIdentity(client);
  rememberIdentity(target.url, identity);
  const [stamps, probes] = await Promise.all([
    readStamps(client, identity),
    probeEnvironments(opts.config, target.env, opts.processEnv),
  ]);
  const matches = new Map<string, EnvironmentMatch>();
  const add = (env: string, by: MatchedBy, isProtected: boolean) => {
    const m = matches.get(env);
    if (m) {
      if (!m.by.includes(by)) m.by.push(by);
      m.protected ||= isProtected;
    } else matches.set(env, { env, by: [by], protected: isProtected });
  };
  if (target.env) add(target.env, 'named', target.protected);
  for (const s of stamps) add(s.env, 'stamp', protectionOf(opts.config, s.env, s.protected));
  const unverified: Identification['unverified'] = [];
  for (const p of probes) {
    if (p.identity && sameDatabase(p.identity, identity))
      add(p.env, 'probe', protectionOf(opts.config, p.env, false));
    else if (p.unverified !== undefined) unverified.push({ env: p.env, reason: p.unverified });
  }
  return { identity, matches: [...matches.values()], unverified };
}

/** pgward.yaml decides for environments it knows; a stamp of an environment it does not know keeps its own flag. */
function protectionOf(config: LoadedConfig | undefined, env: string, stamped: boolean): boolean {
  const configured = environmentPolicy(config, env);
  if (configured) return configured.protected;
  return stamped || isProtectedEnvironment(env, undefined);
}

function policyOf(config: LoadedConfig | undefined, target: Target, m: EnvironmentMatch): Policy {
  if (m.by.includes('named')) return target.policy;
  return environmentPolicy(config, m.env)?.policy ?? defaultPolicy(m.protected);
}

function effectiveTarget(target: Target, id: Identification, config: LoadedConfig | undefined): Target {
  if (id.matches.length === 0) return { ...target };
  const named = id.matches.find((m) => m.by.includes('named'));
  const guarded = id.matches.find((m) => m.protected);
  const policies = id.matches.map((m) => policyOf(config, target, m));
  const timing = guarded ? policyOf(config, target, guarded) : named ? target.policy : policies[0]!;
  return {
    // A protected database's name wins over a weaker name for it, so that its pre-migrate backups,
    // catalog and reports are the protected environment's, whatever the command was told.
    env: (guarded ?? named ?? id.matches[0]!).env,
    url: target.url,
    protected: guarded !== undefined,
    policy: strictestPolicy(policies, timing),
  };
}

/** The first protected environment the database was identified as, if any. */
export function protectedMatch(id: Identification): EnvironmentMatch | undefined {
  return id.matches.find((m) => m.protected);
}

/** `production's database (matched by pgward.identity stamp; system 7312…, database oid 16384)` */
export function describeMatch(m: EnvironmentMatch, id: Identification): string {
  return `${m.env}'s database (matched by ${m.by.map((b) => HOW[b]).join(', ')}; ${describeIdentity(id.identity)})`;
}

/** For JSON documents and -v output: who the database is and how each environment matched. */
export function identificationSummary(id: Identification): IdentitySummary {
  return {
    systemId: id.identity.systemId,
    databaseOid: id.identity.databaseOid,
    database: id.identity.database,
    matches: id.matches.map((m) => ({ env: m.env, by: m.by, protected: m.protected })),
    unverified: id.unverified,
  };
}

/**
 * Writes the stamp of the environment named on the command line, for a command that writes anyway.
 * Never stamps an unprotected name onto a database that is also a protected environment's.
 */
export async function stampNamedEnvironment(client: pg.Client, t: IdentifiedTarget): Promise<void> {
  const named = t.identification.matches.find((m) => m.by.includes('named'));
  if (!named) return;
  if (!named.protected && protectedMatch(t.identification)) return;
  await writeStamp(client, t.identification.identity, named.env, named.protected);
}

/** The summary of a target that went through identifyTarget, else undefined. */
export function summaryOf(t: Target): IdentitySummary | undefined {
  const id = (t as Partial<IdentifiedTarget>).identification;
  return id ? identificationSummary(id) : undefined;
}

/**
 * For commands that change the database (migrate, rollback, baseline, backup create, serve): identify on
 * the command's own connection and, unless it is a dry run, stamp the environment it was named as.
 */
export async function identifyForWrite(
  client: pg.Client,
  target: Target,
  opts: { config?: LoadedConfig | undefined; dryRun?: boolean | undefined },
): Promise<IdentifiedTarget> {
  const identified = await identifyTarget(target, { config: opts.config, client });
  if (!opts.dryRun) await stampNamedEnvironment(client, identified);
  return identified;
}

export type { IdentitySummary, MatchedBy } from './describe.js';
