// Connects to each configured environment's URL to learn which database it really is. In parallel, with a
// short timeout, one cheap query each, and at most once per URL per process: probes cost a connection.
// At most PROBES_AT_ONCE connect at a time: a pgward.yaml of 200 environments opened 200 connections at
// once in every command, which exhausted a server's max_connections when a few commands ran together.
// Environments whose URLs differ only in the database name are one server: one connection reads every
// database's oid there (a fleet of 200 databases on two servers costs two probes, not 199).

import { interpolate } from '../config/interpolate.js';
import type { LoadedConfig } from '../config/load.js';
import { appName, withClient } from '../db/connect.js';
import { Limiter } from '../db/limit.js';
import { redact } from '../redact.js';
import { type DatabaseIdentity, readDatabaseIdentity } from './database.js';

export interface ProbeResult {
  env: string;
  identity?: DatabaseIdentity;
  /** Why the environment could not be identified (URL not interpolable, server unreachable). */
  unverified?: string;
}

const PROBE_TIMEOUT_MS = 3_000;
const PROBES_AT_ONCE = 8;
const probes = new Limiter(PROBES_AT_ONCE);
const cache = new Map<string, Promise<DatabaseIdentity>>();

/** Remembers an identity already read on a connection, so that a probe of the same URL costs nothing. */
export function rememberIdentity(url: string, id: DatabaseIdentity): void {
  if (!cache.has(url)) cache.set(url, Promise.resolve(id));
}

export function probeUrl(url: string): Promise<DatabaseIdentity> {
  let p = cache.get(url);
  if (!p) {
    p = probes.run(() =>
      withClient(url, readDatabaseIdentity, {
        applicationName: appName('identity probe'),
        connectTimeoutMs: PROBE_TIMEOUT_MS,
      }),
    );
    cache.set(url, p);
  }
  return p;
}

/** Every configured environment except `skip`, identified by connecting to its URL. Never throws. */
export async function probeEnvironments(
  config: LoadedConfig | undefined,
  skip: string | undefined,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<ProbeResult[]> {
  const names = Object.keys(config?.raw.environments ?? {}).filter((n) => n !== skip);
  const unresolved: ProbeResult[] = [];
  const urls: Array<{ env: string; url: string }> = [];
  for (const env of names) {
    try {
      urls.push({ env, url: interpolate(config!.raw.environments![env]!.url, processEnv) });
    } catch (err) {
      unresolved.push({ env, unverified: `URL cannot be resolved: ${(err as Error).message}` });
    }
  }
  const groups = new Map<string, Array<{ env: string; url: string; database: string }>>();
  const alone: Array<{ env: string; url: string }> = [];
  for (const u of urls) {
    const at = serverOf(u.url);
    if (at) groups.set(at.key, [...(groups.get(at.key) ?? []), { ...u, database: at.database }]);
    else alone.push(u);
  }
  const results = await Promise.all([
    ...alone.map(probeOne),
    ...[...groups.values()].map((g) => (g.length === 1 ? Promise.all(g.map(probeOne)) : probeGroup(g))),
  ]);
  const byEnv = new Map(results.flat().map((r) => [r.env, r]));
  return names.map((env) => byEnv.get(env) ?? unresolved.find((r) => r.env === env)!);
}

async function probeOne({ env, url }: { env: string; url: string }): Promise<ProbeResult> {
  try {
    return { env, identity: await probeUrl(url) };
  } catch (err) {
    return { env, unverified: redact((err as Error).message) };
  }
}

/**
 * Environments whose URLs differ only in the database name reach one server: one connection to it reads
 * every database's oid (pg_database), instead of one connection per environment. If that connection
 * fails, each is probed on its own.
 */
async function probeGroup(
  group: Array<{ env: string; url: string; database: string }>,
): Promise<ProbeResult[]> {
  let server: ServerDatabases;
  try {
    server = await probeServer(group[0]!.url);
  } catch {
    return Promise.all(group.map(probeOne));
  }
  return group.map(({ env, database }) => {
    const oid = server.oids.get(database);
    if (oid === undefined) return { env, unverified: `database "${database}" does not exist on its server` };
    const { server: s } = server.identity;
    return {
      env,
      identity: { ...server.identity, databaseOid: oid, database, fingerprint: `${s}/${oid}` },
    };
  });
}

interface ServerDatabases {
  identity: DatabaseIdentity;
  oids: Map<string, string>;
}

const servers = new Map<string, Promise<ServerDatabases>>();

function probeServer(url: string): Promise<ServerDatabases> {
  const key = serverOf(url)!.key;
  let p = servers.get(key);
  if (!p) {
    p = probes.run(() =>
      withClient(
        url,
        async (c) => {
          const identity = await readDatabaseIdentity(c);
          const r = await c.query<{ name: string; oid: string }>(
            'SELECT datname AS name, oid::text AS oid FROM pg_database',
          );
          return { identity, oids: new Map(r.rows.map((row) => [row.name, row.oid])) };
        },
        { applicationName: appName('identity probe'), connectTimeoutMs: PROBE_TIMEOUT_MS },
      ),
    );
    servers.set(key, p);
  }
  return p;
}

/**
 * The server a postgres:// URL reaches — the URL without its database name, every other part kept (a
 * Neon `options=endpoint=…` parameter picks the compute) — and that database name; undefined when the
 * URL does not name one (libpq would take the user's name) or is not a URL.
 */
export function serverOf(url: string): { key: string; database: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!/^postgres(ql)?:$/.test(u.protocol) || u.pathname.length <= 1) return undefined;
  // these parameters choose the database (or a whole connection) themselves: probed on their own
  if (u.searchParams.has('dbname') || u.searchParams.has('service')) return undefined;
  const database = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/';
  return { key: u.toString(), database };
}
