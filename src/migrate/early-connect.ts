// Connections a migration run will need, opened before they are needed: the CLI starts them while it
// loads the runner and compiles the SQL parser (~200 ms of CPU on the client), so the server sets the
// sessions up meanwhile instead of after. Kept light (no parser, no runner) so it loads first.
import type pg from 'pg';
import type { Target } from '../config/target.js';
import { appName, connect } from '../db/connect.js';
import { isNeonPoolerHost } from '../db/pooler.js';

/** Being opened to the target's URL; whoever is given them closes them (closeEarly). */
export interface EarlyConnections {
  /** The runner's session (pipelined, as migrate opens it). */
  session: Promise<pg.Client>;
  /** A second client for the migration lock's transaction-pooler probe, when that probe will run. */
  probe?: Promise<pg.Client> | undefined;
}

/** The options migrate's own connection is opened with: an early one must be the same. */
export const RUNNER_CONNECTION = { applicationName: appName('migrate'), pipeline: true } as const;

/**
 * Starts opening the run's connections. The probe's client only when the lock will be taken (not a dry
 * run) and the pooler setting leaves it to the probe (`auto`, and not a Neon -pooler host, which is
 * refused by name).
 *
 * @example
 * ```ts
 * import { connectEarly, migrate, resolveProject } from 'pgward';
 * const { target, source, config } = await resolveProject({ env: 'production' });
 * const connections = connectEarly(target, { dryRun: false }); // the server sets the sessions up now
 * const result = await migrate({ target, source, config, connections }); // adopted and closed by migrate
 * ```
 */
export function connectEarly(target: Target, opts: { dryRun: boolean }): EarlyConnections {
  const session = connect(target.url, RUNNER_CONNECTION);
  session.catch(() => {}); // reported where it is awaited
  const probeRuns = !opts.dryRun && (target.pooler ?? 'auto') === 'auto' && !isNeonPoolerHost(target.url);
  const probe = probeRuns ? connect(target.url, { applicationName: 'pgward pooler probe' }) : undefined;
  probe?.catch(() => {});
  return { session, probe };
}

/** Closes whichever early connections opened (again is a no-op: an ended client stays ended). */
export async function closeEarly(early: EarlyConnections | undefined): Promise<void> {
  if (!early) return;
  await Promise.all([early.session, early.probe].map((p) => p?.then((c) => c.end()).catch(() => {})));
}
