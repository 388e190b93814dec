// Connects to each configured environment's URL to learn which database it really is. In parallel, with a
// short timeout, one cheap query each, and at most once per URL per process: probes cost a connection.
// At most PROBES_AT_ONCE connect at a time: a pgward.yaml of 200 environments opened 200 connections at
// once in every command, which exhausted a server's max_connections when a few commands ran together.

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
  return Promise.all(
    names.map(async (env): Promise<ProbeResult> => {
      let url: string;
      try {
        url = interpolate(config!.raw.environments![env]!.url, processEnv);
      } catch (err) {
        return { env, unverified: `URL cannot be resolved: ${(err as Error).message}` };
      }
      try {
        return { env, identity: await probeUrl(url) };
      } catch (err) {
        return { env, unverified: redact((err as Error).message) };
      }
    }),
  );
}
