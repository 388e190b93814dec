// What `pgward migrate`, `plan` and `rehearse` share for a project whose migrations another framework
// runs: which framework, what is pending (from its own tracking table, each migration's checksum and
// approval), the gate's input, and the session settings the guard forces.
import type pg from 'pg';
import { type ProjectOptions, resolveProject } from '../config/project.js';
import { appName, connect } from '../db/connect.js';
import { ExitCode, PgwardError } from '../errors.js';
import { ATTENTION_STATES, type MigrationStatusEntry } from '../files/migration-status.js';
import { checksumOfFiles, migrationFiles } from '../frameworks/checksum.js';
import type { RunnableFramework } from '../frameworks/commands.js';
import { ADAPTERS } from '../frameworks/index.js';
import type { GateInput } from './framework-gate.js';
import type { FrameworkMigrateOptions } from './framework-migrate.js';
import { readApprovals } from './gate.js';
import { historyExists } from './history.js';
import { resolveFramework } from './status.js';

export type Run = Omit<Awaited<ReturnType<typeof resolveProject<FrameworkMigrateOptions>>>, 'framework'> & {
  framework: RunnableFramework;
};

export async function readPending(client: pg.Client, run: Run): Promise<PendingMigration[]> {
  const adapter = ADAPTERS[run.framework as keyof typeof ADAPTERS];
  const status = await adapter.status(client, run.source.dir, run.source.table);
  const attention = status.entries.filter((e) => ATTENTION_STATES.has(e.state));
  if (attention.length) throw attentionError(attention, run.framework);
  // A database pgward never wrote to (plan, first run) has no approvals yet.
  const approvals = (await historyExists(client)) ? await readApprovals(client, 'up') : new Map();
  return status.entries
    .filter((e) => e.state === 'pending')
    .map((e) => {
      const checksum = checksumOfFiles(migrationFiles(run.source.dir, e.file));
      return {
        version: e.version,
        name: e.name,
        file: e.file,
        checksum,
        approved: approvals.has(`${e.version}:${checksum}`),
      };
    });
}

export function attentionError(entries: MigrationStatusEntry[], framework: string): PgwardError {
  const list = entries.map((e) => `${e.version} ${e.state}${e.note ? ` (${e.note})` : ''}`).join(', ');
  return new PgwardError(`${framework}'s history needs attention before migrating: ${list}`, {
    exitCode: ExitCode.drift,
    hint: 'run `pgward status` and fix the history with the framework’s own tools first',
  });
}

export function gateInput(run: Run, pending: PendingMigration[], runTools: boolean): GateInput {
  return {
    framework: run.framework,
    root: run.root ?? run.source.root ?? process.cwd(),
    dir: run.source.dir,
    details: run.source.layout?.details,
    url: run.target.url,
    policy: run.target.policy,
    pending,
    runTools,
  };
}

/**
 * Whether pgward's own runner applies this project's migrations, known without the database: the
 * framework is set to pgward or dbmate (one file format, one runner), or it is auto and every file is
 * in that format. Then `pgward migrate` need not connect once more to detect it (the runner does).
 */
export async function runsOwnFormat(opts: ProjectOptions): Promise<boolean> {
  const { source } = await resolveProject(opts);
  if (source.framework !== 'auto') return source.framework === 'pgward' || source.framework === 'dbmate';
  return Object.values(ADAPTERS).every((a) => a === ADAPTERS.dbmate || !a.detectFiles(source.dir));
}

/**
 * The framework that runs this project's migrations: pgward's own, or another one the guard runs.
 * `session`: a connection to the target already being opened (migrate's early one), asked instead of
 * opening another; it stays open for its owner.
 */
export async function projectFramework(opts: ProjectOptions, session?: Promise<pg.Client>): Promise<string> {
  const { source, target } = await resolveProject(opts);
  if (source.framework !== 'auto') return source.framework;
  if (session) return await resolveFramework(source, await session);
  const client = await connect(target.url, { applicationName: appName('migrate') });
  try {
    return await resolveFramework(source, client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** migrations.command as argv (a string is split on spaces; use a list for arguments with spaces). */
export function configuredCommand(raw: string | string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return typeof raw === 'string' ? raw.trim().split(/\s+/) : raw;
}

export interface PendingMigration {
  version: string;
  name: string;
  file: string | undefined;
  checksum: string;
  approved: boolean;
}
