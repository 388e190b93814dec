// Running pg_restore. Exit code 1 means "errors ignored on restore: N": some objects or rows are
// missing, so it is a failure, reported with pg_restore's own (redacted) messages.
import { spawn } from 'node:child_process';
import type pg from 'pg';
import { connect } from '../db/connect.js';
import type { PgwardError } from '../errors.js';
import { InterruptedError } from '../interrupt.js';
import { exited, type PgConn, programFailure, run, stopChild, TailBuffer } from '../pgtools/exec.js';
import type { PgTools } from '../pgtools/pgbin.js';
import type { TableStat } from './manifest.js';
import { collectTableStats } from './snapshot.js';

export async function listArchive(
  tools: PgTools,
  path: string,
): Promise<{ ok: true; entries: number } | { ok: false; error: PgwardError }> {
  const r = await run(tools.pgRestore, ['--list', path]);
  if (r.code === 0) return { ok: true, entries: r.stdout.split('\n').filter((l) => /^\d+;/.test(l)).length };
  return { ok: false, error: programFailure('pg_restore --list', r, r.stderr) };
}

export interface PgRestoreOptions {
  conn: PgConn;
  path: string;
  jobs: number;
  clean?: boolean;
  noOwner?: boolean;
  /** Aborting stops pg_restore (SIGTERM: it stops its parallel workers too) and throws InterruptedError. */
  signal?: AbortSignal | undefined;
}

export async function pgRestore(tools: PgTools, o: PgRestoreOptions): Promise<void> {
  const args = ['--no-password', `--dbname=${o.conn.url}`, `--jobs=${Math.max(1, o.jobs)}`];
  if (o.clean) args.push('--clean', '--if-exists');
  if (o.noOwner) args.push('--no-owner', '--no-privileges');
  args.push(o.path);
  const stderr = new TailBuffer(60);
  if (o.signal?.aborted) throw new InterruptedError('pg_restore');
  const child = spawn(tools.pgRestore, args, { env: o.conn.env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d: Buffer) => stderr.push(d));
  const stop = () => stopChild(child);
  o.signal?.addEventListener('abort', stop, { once: true });
  const r = await exited(child).finally(() => o.signal?.removeEventListener('abort', stop));
  if (o.signal?.aborted) throw new InterruptedError('pg_restore');
  if (r.code !== 0) {
    const text = stderr.text();
    const ignored = /errors ignored on restore: (\d+)/.exec(text);
    throw programFailure(
      ignored ? `pg_restore reported ${ignored[1]} error(s) and` : 'pg_restore',
      r,
      text,
      ignored
        ? 'the restored database is incomplete; fix the cause above (often missing roles: try --no-owner)'
        : undefined,
    );
  }
}

/** Counts (and hashes) tables over `jobs` connections at once: the drill's comparison in less wall time. */
export async function parallelStats(
  url: string,
  tables: { schema: string; name: string }[],
  withHash: boolean,
  jobs: number,
): Promise<TableStat[]> {
  const n = Math.max(1, Math.min(jobs, tables.length));
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < n; i++) clients.push(await connect(url));
    const queue = [...tables];
    const results = new Map<string, TableStat>();
    await Promise.all(
      clients.map(async (c) => {
        for (let t = queue.shift(); t; t = queue.shift()) {
          const found = await c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
            `"${t.schema.replace(/"/g, '""')}"."${t.name.replace(/"/g, '""')}"`,
          ]);
          if (!found.rows[0]?.t) continue; // reported as missing by compareStats
          const [s] = await collectTableStats(c, [t], withHash);
          results.set(`${t.schema}.${t.name}`, s!);
        }
      }),
    );
    return tables
      .map((t) => results.get(`${t.schema}.${t.name}`))
      .filter((s): s is TableStat => s !== undefined);
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}
