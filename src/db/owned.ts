// Databases pgward creates for itself (restore-drill scratch, recover target, restore --create target,
// rehearsal copy) carry a machine-readable marker in their COMMENT, so a run killed with SIGKILL leaves
// something the next run can recognise as its own and remove: nothing unmarked is ever dropped.
//
// CREATE DATABASE cannot share a transaction with COMMENT ON DATABASE, so a database is created under a
// creation-window name that itself says who made it (pgward_pending_<pid>_<host tag>_<random>), commented,
// and only then renamed to its real name. A kill between CREATE and COMMENT leaves a name the sweep can
// still attribute; a kill after COMMENT leaves a marked database.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type pg from 'pg';
import { PgwardError } from '../errors.js';
import { quoteIdent, withClient } from './connect.js';

export const MARKER_PREFIX = 'pgward:owned ';
/** A marker from another host is trusted as alive while its lease is younger than this. */
export const OTHER_HOST_STALE_MS = 6 * 60 * 60 * 1000;
/** How often a running pgward renews the lease of the databases it is working in. */
const LEASE_RENEW_MS = 60 * 1000;

export type OwnedPurpose = 'drill' | 'recover' | 'restore' | 'rehearse';
/** Only 'in-progress' databases are ever swept; the others are results a user keeps. */
export type OwnedState = 'in-progress' | 'validated' | 'restored' | 'kept';

export interface OwnedMarker {
  pgward: 1;
  purpose: OwnedPurpose;
  state: OwnedState;
  host: string;
  pid: number;
  started: string;
  lease: string;
}

export interface OwnedDatabase {
  name: string;
  adminUrl: string;
  marker: OwnedMarker;
  /** Rewrites the marker (e.g. to 'validated' once a recovered database is proven). */
  setState(state: OwnedState): Promise<void>;
  /** Stops the lease timer and drops the database (terminating its connections). */
  drop(): Promise<void>;
  /** Stops the lease timer (the database stays, with whatever state it was last given). */
  release(): void;
}

export function hostTag(host = hostname()): string {
  return createHash('sha256').update(host).digest('hex').slice(0, 8);
}

const PENDING = /^pgward_pending_(\d+)_([0-9a-f]{8})_[0-9a-f]+$/;

export function markerText(m: OwnedMarker): string {
  return `${MARKER_PREFIX}${JSON.stringify(m)}`;
}

export function parseMarker(comment: string | null): OwnedMarker | null {
  if (!comment?.startsWith(MARKER_PREFIX)) return null;
  try {
    const m = JSON.parse(comment.slice(MARKER_PREFIX.length)) as Partial<OwnedMarker>;
    if (m.pgward !== 1 || typeof m.host !== 'string' || !Number.isInteger(m.pid)) return null;
    if (typeof m.state !== 'string' || typeof m.lease !== 'string') return null;
    return m as OwnedMarker;
  } catch {
    return null;
  }
}

async function serverVersion(c: pg.Client): Promise<number> {
  return Number(
    (await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v,
  );
}

async function writeMarker(c: pg.Client, name: string, m: OwnedMarker): Promise<void> {
  await c.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${c.escapeLiteral(markerText(m))}`);
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, async (c) => {
    const force = (await serverVersion(c)) >= 130000 ? ' WITH (FORCE)' : '';
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${force}`);
  });
}

/**
 * Creates `name` on the server of `adminUrl` (a database other than `name`), marked as pgward's and
 * 'in-progress', with a lease renewed while this process runs.
 */
export async function createOwnedDatabase(
  adminUrl: string,
  name: string,
  purpose: OwnedPurpose,
): Promise<OwnedDatabase> {
  const now = new Date().toISOString();
  const marker: OwnedMarker = {
    pgward: 1,
    purpose,
    state: 'in-progress',
    host: hostname(),
    pid: process.pid,
    started: now,
    lease: now,
  };
  const pending = `pgward_pending_${process.pid}_${hostTag()}_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, async (c) => {
    await c.query(`CREATE DATABASE ${quoteIdent(pending)}`).catch((err) => {
      throw noCreatedb(err, purpose);
    });
    try {
      await writeMarker(c, pending, marker);
      await c.query(`ALTER DATABASE ${quoteIdent(pending)} RENAME TO ${quoteIdent(name)}`);
    } catch (err) {
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(pending)}`).catch(() => {});
      throw err;
    }
  });
  return ownedHandle(adminUrl, name, marker);
}

/** Managed platforms (Render, Neon) give the database owner no CREATEDB: say so, and what to do instead. */
const INSTEAD: Record<OwnedPurpose, string> = {
  drill: 'pass --into <an empty database the user owns>, or --no-drill',
  recover: 'create the database as a user who may, then restore into it with --into',
  restore: 'create the database as a user who may, then restore into it',
  rehearse: 'pass --server <a server URL whose user has CREATEDB>, or --via neon',
};

function noCreatedb(err: unknown, purpose: OwnedPurpose): unknown {
  if ((err as { code?: string }).code !== '42501') return err;
  return new PgwardError(
    `cannot create a scratch database for the ${purpose}: the user has no CREATEDB privilege (usual on managed platforms)`,
    { hint: `grant it (ALTER ROLE ... CREATEDB), or ${INSTEAD[purpose]}` },
  );
}

function ownedHandle(adminUrl: string, name: string, marker: OwnedMarker): OwnedDatabase {
  const rewrite = () => withClient(adminUrl, (c) => writeMarker(c, name, marker));
  const timer = setInterval(() => {
    marker.lease = new Date().toISOString();
    rewrite().catch(() => {});
  }, LEASE_RENEW_MS);
  timer.unref();
  return {
    name,
    adminUrl,
    marker,
    async setState(state) {
      marker.state = state;
      marker.lease = new Date().toISOString();
      await rewrite();
    },
    async drop() {
      clearInterval(timer);
      await dropDatabase(adminUrl, name);
    },
    release() {
      clearInterval(timer);
    },
  };
}

export interface SweptDatabase {
  name: string;
  purpose: string;
  host: string;
  pid: number;
  started: string | null;
  /** Why it was judged an orphan. */
  reason: string;
}

export interface SweepResult {
  removed: SweptDatabase[];
  /** Orphans found but not dropped (e.g. no privilege), with the error. */
  failed: Array<SweptDatabase & { error: string }>;
}

/**
 * Whether the process that wrote a marker still runs on this host: the pid exists (EPERM: it exists,
 * owned by another user), is not a zombie, and (where /proc tells) did not start after the marker was
 * written, which would make it another process that reused the pid.
 */
export function processAlive(pid: number, markedAt?: string): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const proc = procStat(pid);
  if (!proc) return true;
  if (proc.state === 'Z') return false;
  const marked = markedAt ? Date.parse(markedAt) : Number.NaN;
  // 10 s of slack: the boot time /proc reports is rounded to the second and clocks get adjusted.
  return !(proc.startedMs !== null && !Number.isNaN(marked) && proc.startedMs > marked + 10_000);
}

/** State letter and start time of a Linux process, or null where /proc is not there. */
function procStat(pid: number): { state: string; startedMs: number | null } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    // USER_HZ is 100 on every Linux ABI Node runs on.
    const startedMs = btime && Number.isFinite(startTicks) ? Number(btime[1]) * 1000 + startTicks * 10 : null;
    return { state: fields[0] ?? '', startedMs };
  } catch {
    return null;
  }
}

interface Candidate {
  name: string;
  comment: string | null;
}

/** The orphan verdict for one database, or null to leave it alone. */
export function orphanVerdict(
  db: Candidate,
  now = Date.now(),
  staleAfterMs = OTHER_HOST_STALE_MS,
): SweptDatabase | null {
  const marker = parseMarker(db.comment);
  const me = hostname();
  if (marker) {
    if (marker.state !== 'in-progress') return null;
    const base = {
      name: db.name,
      purpose: marker.purpose,
      host: marker.host,
      pid: marker.pid,
      started: marker.started,
    };
    if (marker.host === me)
      return processAlive(marker.pid, marker.started)
        ? null
        : { ...base, reason: `its ${marker.purpose} run (pid ${marker.pid}) is gone` };
    const leaseAge = now - Date.parse(marker.lease);
    if (!(leaseAge > staleAfterMs)) return null;
    return { ...base, reason: `its lease from ${marker.host} expired ${marker.lease}` };
  }
  // Unmarked: only pgward's own creation-window name, from this host, by a process that is gone.
  const p = PENDING.exec(db.name);
  if (db.comment !== null || !p || p[2] !== hostTag(me)) return null;
  const pid = Number(p[1]);
  if (processAlive(pid)) return null;
  return {
    name: db.name,
    purpose: 'creation',
    host: me,
    pid,
    started: null,
    reason: `killed while being created (pid ${pid} is gone)`,
  };
}

const CANDIDATES = `
  SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment FROM pg_database
  WHERE NOT datistemplate AND (datname LIKE 'pgward\\_pending\\_%'
     OR shobj_description(oid, 'pg_database') LIKE 'pgward:owned %')`;

/**
 * Finds the databases on `serverUrl`'s server that a dead pgward run left 'in-progress' and drops them.
 * Never touches a database without pgward's marker, one whose owner process is alive, or a result
 * (validated recovery, restored or kept database). Each one is re-read just before it is dropped.
 *
 * @example
 * ```ts
 * import { sweepOrphans } from 'pgward';
 * const r = await sweepOrphans('postgresql://localhost/postgres');
 * console.log(r.removed.map((d) => d.name), r.failed.map((d) => `${d.name}: ${d.error}`));
 * ```
 */
export async function sweepOrphans(
  serverUrl: string,
  opts: { staleAfterMs?: number; onRemoved?: (d: SweptDatabase) => void } = {},
): Promise<SweepResult> {
  const result: SweepResult = { removed: [], failed: [] };
  await withClient(serverUrl, async (c) => {
    const current = await c.query<{ name: string }>('SELECT current_database() AS name');
    const self = current.rows[0]?.name;
    const found = await c.query<Candidate>(CANDIDATES);
    const force = (await serverVersion(c)) >= 130000 ? ' WITH (FORCE)' : '';
    for (const db of found.rows) {
      if (db.name === self) continue;
      const verdict = orphanVerdict(db, Date.now(), opts.staleAfterMs);
      if (!verdict) continue;
      try {
        const again = await c.query<Candidate>(
          "SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
          [db.name],
        );
        // Changed since it was listed (lease renewed, state switched, or gone): not ours to judge now.
        if (again.rows[0]?.comment !== db.comment) continue;
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(db.name)}${force}`);
        result.removed.push(verdict);
        opts.onRemoved?.(verdict);
      } catch (err) {
        result.failed.push({ ...verdict, error: (err as Error).message });
      }
    }
  });
  return result;
}

/** One line per removed orphan, for the run's progress output. */
export function describeSwept(d: SweptDatabase): string {
  return `removed orphan ${d.purpose} database ${d.name}: ${d.reason}`;
}

/**
 * The sweep every creating command runs first. It never fails the run: a server that cannot be listed
 * is reported by the run's own connection, and an orphan that cannot be dropped is named in `report`.
 */
export async function sweepBeforeRun(
  serverUrl: string,
  report?: (line: string) => void,
): Promise<SweepResult> {
  try {
    const r = await sweepOrphans(serverUrl, { onRemoved: (d) => report?.(describeSwept(d)) });
    for (const f of r.failed) report?.(`could not remove orphan ${f.purpose} database ${f.name}: ${f.error}`);
    return r;
  } catch {
    return { removed: [], failed: [] };
  }
}

/** Switches the state in an owned database's marker (re-read first: only pgward's own marker is rewritten). */
export async function setOwnedState(adminUrl: string, name: string, state: OwnedState): Promise<void> {
  await withClient(adminUrl, async (c) => {
    const r = await c.query<{ comment: string | null }>(
      "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
      [name],
    );
    const marker = parseMarker(r.rows[0]?.comment ?? null);
    if (!marker) throw new Error(`database ${name} does not carry pgward's marker`);
    await writeMarker(c, name, { ...marker, state, lease: new Date().toISOString() });
  });
}
