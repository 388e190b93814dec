// From an environment's `neon:` block to a working Neon handle, and pgward's own branches on it.
// A branch pgward makes for itself (rehearsal copy, clone, recovery) is named
//   pgward-<purpose>-<host tag>-<pid>-<random>
// so that a run killed with SIGKILL leaves a branch the next run can attribute and delete, exactly like
// the owned scratch databases (src/db/owned.ts): same host tag, same "is that pid still alive" test, and
// a branch of another host is only swept once it is older than OTHER_HOST_STALE_MS. Only 'rehearse'
// branches are ever swept: a clone or a recovery is a result the user keeps.
import { randomBytes } from 'node:crypto';
import type { RawNeon } from '../../config/sections/neon.js';
import { withClient } from '../../db/connect.js';
import { hostTag, OTHER_HOST_STALE_MS, processAlive } from '../../db/owned.js';
import { UsageError } from '../../errors.js';
import { redact } from '../../redact.js';
import { NeonClient, type NeonClientOptions } from './client.js';
import type { NeonBranch } from './types.js';

export type NeonPurpose = 'rehearse' | 'clone' | 'recover';

/** A Neon project and branch, a client for them and who pgward connects as. */
export interface NeonHandle {
  client: NeonClient;
  project: string;
  /** The environment's branch (id or name; undefined: the project's default branch). */
  branch: string | undefined;
  database: string;
  role: string;
}

/**
 * The Neon handle of an environment's `neon:` block; the API key is read from its variable (NEON_API_KEY
 * unless `api_key_env` names another) and registered as a secret.
 *
 * @example
 * ```ts
 * import { neonHandleFor } from 'pgward';
 * const neon = neonHandleFor({ project: 'shiny-wind-028834', branch: 'main' });
 * console.log(neon.project, neon.database);
 * ```
 */
export function neonHandleFor(
  raw: RawNeon,
  env: Record<string, string | undefined> = process.env,
  extra: Partial<NeonClientOptions> = {},
): NeonHandle {
  const name = raw.api_key_env ?? 'NEON_API_KEY';
  const key = env[name]?.trim();
  if (!key)
    throw new UsageError(
      `the Neon API key is missing: environment variable ${name} is not set`,
      `export ${name}=<a Neon API key> (Account settings → API keys)${raw.api_key_env ? '' : ', or name another variable in neon.api_key_env'}`,
    );
  const poll = Number(env.PGWARD_NEON_POLL_MS);
  const fast = env.PGWARD_NEON_POLL_MS && poll > 0 ? { pollMs: poll, retryBaseMs: poll } : {};
  return {
    client: new NeonClient({
      apiKey: key,
      apiKeyEnv: name,
      ...(raw.api_url ? { apiUrl: raw.api_url } : {}),
      ...fast,
      ...extra,
    }),
    project: raw.project,
    branch: raw.branch,
    database: raw.database ?? 'neondb',
    role: raw.role ?? 'neondb_owner',
  };
}

const OWN = /^pgward-(rehearse|clone|recover)-([0-9a-f]{8})-(\d+)-[0-9a-f]+$/;

/** `pgward-rehearse-1a2b3c4d-4242-9f3e`: purpose, host tag, pid, random. */
export function ownBranchName(purpose: NeonPurpose): string {
  return `pgward-${purpose}-${hostTag()}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

/** Whether a branch is a rehearsal branch left by a dead pgward run (see the header). */
export function orphanBranch(b: NeonBranch, now = Date.now()): boolean {
  const [, purpose, host, pid] = OWN.exec(b.name) ?? [];
  if (purpose !== 'rehearse') return false;
  if (host !== hostTag()) return now - Date.parse(b.created_at) > OTHER_HOST_STALE_MS;
  return !processAlive(Number(pid), b.created_at);
}

/**
 * Deletes the rehearsal branches left by killed pgward runs; returns their names.
 *
 * @example
 * ```ts
 * import { neonHandleFor, sweepNeonBranches } from 'pgward';
 * const swept = await sweepNeonBranches(neonHandleFor({ project: 'shiny-wind-028834' }), console.log);
 * console.log(swept.length);
 * ```
 */
export async function sweepNeonBranches(
  h: NeonHandle,
  onSwept?: (line: string) => void,
  signal?: AbortSignal,
): Promise<string[]> {
  const swept: string[] = [];
  for (const b of await h.client.listBranches(h.project, signal)) {
    if (!orphanBranch(b)) continue;
    await h.client.deleteBranch(h.project, b.id, signal);
    swept.push(b.name);
    onSwept?.(redact(`deleted Neon branch ${b.name} (${b.id}) left by a killed run`));
  }
  return swept;
}

export interface WorkBranch {
  id: string;
  name: string;
  /** Direct connection URI (a secret: print it redacted). */
  url: string;
  parentId: string;
}

/**
 * A new branch of the environment's branch (at head, or at `at`), with a read-write endpoint, waited
 * for, with its direct URI. `onCreated` gets the id as soon as Neon answered (for cleanup on failure).
 *
 * @example
 * ```ts
 * import { createWorkBranch, neonHandleFor } from 'pgward';
 * const neon = neonHandleFor({ project: 'shiny-wind-028834', branch: 'main' });
 * const b = await createWorkBranch(neon, { purpose: 'recover', at: new Date(Date.now() - 60_000) });
 * console.log(b.name);
 * await neon.client.deleteBranch(neon.project, b.id);
 * ```
 */
export async function createWorkBranch(
  h: NeonHandle,
  o: {
    purpose: NeonPurpose;
    at?: Date;
    name?: string;
    signal?: AbortSignal;
    onCreated?: (id: string) => void;
  },
): Promise<WorkBranch> {
  const parent = await h.client.findBranch(h.project, h.branch, o.signal);
  const name = o.name ?? ownBranchName(o.purpose);
  const created = await h.client.createBranch(h.project, {
    parentId: parent.id,
    name,
    ...(o.at ? { parentTimestamp: o.at } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onCreated: (c) => o.onCreated?.(c.branch.id),
  });
  const url = await h.client.connectionUri(
    h.project,
    { branchId: created.branch.id, database: h.database, role: h.role },
    o.signal,
  );
  return { id: created.branch.id, name, url, parentId: parent.id };
}

/**
 * Removes the environment stamps (pgward.identity) a new branch inherited from its parent. A Neon branch
 * may keep the parent's system identifier and database oid (unverified against the live service), and
 * then a copied stamp would make the branch pass for the parent environment: pgward would refuse to
 * rehearse on it, or worse, treat a copy as production elsewhere. Best effort (no table: nothing to do).
 */
export async function forgetInheritedStamps(url: string): Promise<void> {
  await withClient(url, async (c) => {
    const r = await c.query<{ ok: boolean }>("SELECT to_regclass('pgward.identity') IS NOT NULL AS ok");
    if (r.rows[0]?.ok) await c.query('DELETE FROM pgward.identity');
  });
}
