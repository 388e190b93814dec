// `pgward deploy status` / `pgward deploy list`: the journal, read-only (nothing is created when the
// journal does not exist yet), with whether a "running" deploy really runs (someone holds the lock)
// or was stopped (a crash: the next `pgward deploy` resumes it).
import { type ProjectOptions, resolveProject } from '../config/project.js';
import { appName, withClient } from '../db/connect.js';
import { UsageError } from '../errors.js';
import { type DeployRecord, listDeploys, readDeploy } from './journal.js';
import { deployLockHolder } from './lock.js';

export interface DeployStatusOptions extends ProjectOptions {
  /** A deploy id; default: the newest deploy of the environment. */
  deployId?: string | undefined;
  limit?: number | undefined;
}

export interface JournalEntry extends DeployRecord {
  /** For a deploy marked running: whether a pgward holds the deploy lock now (false: it stopped). */
  live: boolean | null;
}

async function withLive(client: import('pg').Client, list: DeployRecord[]): Promise<JournalEntry[]> {
  const held = list.some((d) => d.status === 'running')
    ? (await deployLockHolder(client)) !== undefined
    : false;
  return list.map((d) => ({ ...d, live: d.status === 'running' ? held : null }));
}

/**
 * The deploys of an environment, newest first.
 *
 * @example
 * ```ts
 * import { listDeployJournal } from 'pgward';
 * for (const d of await listDeployJournal({ env: 'production' })) console.log(d.id, d.status);
 * ```
 */
export async function listDeployJournal(given: DeployStatusOptions): Promise<JournalEntry[]> {
  const opts = await resolveProject(given);
  return withClient(
    opts.target.url,
    async (c) => withLive(c, await listDeploys(c, { env: opts.target.env, limit: opts.limit ?? 20 })),
    { applicationName: appName('deploy list') },
  );
}

/**
 * One deploy of the journal (the newest of the environment when no id is given).
 *
 * @example
 * ```ts
 * import { deployStatus } from 'pgward';
 * const d = await deployStatus({ env: 'production' });
 * console.log(d.status, d.steps.map((s) => `${s.name}: ${s.status} ${s.detail}`));
 * ```
 */
export async function deployStatus(given: DeployStatusOptions): Promise<JournalEntry> {
  const opts = await resolveProject(given);
  return withClient(
    opts.target.url,
    async (c) => {
      const d = opts.deployId
        ? await readDeploy(c, opts.deployId)
        : (await listDeploys(c, { env: opts.target.env, limit: 1 }))[0];
      if (!d)
        throw new UsageError(
          opts.deployId
            ? `no deploy ${opts.deployId} in the journal`
            : `no deploy of ${opts.target.env ?? 'this database'} in the journal yet`,
          'pgward deploy list shows the journal',
        );
      return (await withLive(c, [d]))[0]!;
    },
    { applicationName: appName('deploy status') },
  );
}
