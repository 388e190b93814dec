// Finds pg_dump/pg_restore whose major version is at least what is needed (the server's for a dump,
// the archive's for a restore). pg_dump refuses newer servers, and an old pg_restore cannot read a newer
// archive, so we check before starting rather than fail halfway through.
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { PgwardError } from '../errors.js';
import { run } from './exec.js';

export type PgTool = 'pg_dump' | 'pg_restore';

export interface PgTools {
  binDir: string;
  major: number;
  version: string;
  pgDump: string;
  pgRestore: string;
}

function candidateDirs(env: NodeJS.ProcessEnv): { dirs: string[]; forced: boolean } {
  if (env.PGWARD_PG_BIN) return { dirs: [env.PGWARD_PG_BIN], forced: true };
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const root = '/usr/lib/postgresql';
  const versioned: string[] = [];
  if (existsSync(root)) {
    for (const v of readdirSync(root).filter((v) => /^\d+$/.test(v))) versioned.push(join(root, v, 'bin'));
  }
  // Debian's /usr/bin/pg_dump is pg_wrapper, a Perl script that runs one of /usr/lib/postgresql/<v>/bin
  // (~70 ms of CPU per call, four calls with /bin and /usr/bin): those are probed directly instead. One
  // directory reached by two names (/bin -> /usr/bin) is probed once.
  const seen = new Set<string>();
  const out: string[] = [];
  for (const dir of [...dirs, ...versioned]) {
    const real = realDir(dir);
    if (seen.has(real) || (versioned.length > 0 && isDebianWrapper(join(dir, 'pg_dump')))) continue;
    seen.add(real);
    out.push(dir);
  }
  return { dirs: out, forced: false };
}

function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

function isDebianWrapper(program: string): boolean {
  try {
    return basename(realpathSync(program)) === 'pg_wrapper';
  } catch {
    return false;
  }
}

export function parsePgVersion(text: string): { version: string; major: number } | null {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.\d+)?/.exec(text) ?? /(\d+)\.(\d+)/.exec(text);
  if (!m) return null;
  return { version: `${m[1]}${m[2] !== undefined ? `.${m[2]}` : ''}`, major: Number(m[1]) };
}

// Probes in flight or done, per directory: a second caller (e.g. findPgTools after warmPgTools) waits for
// the same `--version` runs instead of starting its own.
const cache = new Map<string, Promise<PgTools | null>>();

function probe(dir: string): Promise<PgTools | null> {
  let p = cache.get(dir);
  if (!p) {
    p = probeDir(dir);
    cache.set(dir, p);
  }
  return p;
}

async function probeDir(dir: string): Promise<PgTools | null> {
  const pgDump = join(dir, 'pg_dump');
  const pgRestore = join(dir, 'pg_restore');
  if (!existsSync(pgDump) || !existsSync(pgRestore)) return null;
  const [d, r] = await Promise.all([run(pgDump, ['--version']), run(pgRestore, ['--version'])]).catch(
    () => [],
  );
  const dv = d && d.code === 0 ? parsePgVersion(d.stdout) : null;
  const rv = r && r.code === 0 ? parsePgVersion(r.stdout) : null;
  // Debian's /usr/bin/pg_dump is a wrapper that picks a version by itself; we only accept a pair that agrees.
  if (dv && rv && dv.major === rv.major)
    return { binDir: dir, major: dv.major, version: dv.version, pgDump, pgRestore };
  return null;
}

/**
 * Starts the version probes of findPgTools without waiting (e.g. while connecting, before the server's
 * version is known); findPgTools then uses their results.
 */
export function warmPgTools(env: NodeJS.ProcessEnv = process.env): void {
  for (const dir of candidateDirs(env).dirs) probe(dir).catch(() => {});
}

/**
 * The newest pg_dump/pg_restore pair with major >= minMajor: PGWARD_PG_BIN if set (and only it), else PATH
 * and /usr/lib/postgresql/<major>/bin. Throws, naming the version needed, before anything starts.
 */
export async function findPgTools(
  minMajor: number,
  why: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PgTools> {
  const { dirs, forced } = candidateDirs(env);
  const found = (await Promise.all(dirs.map(probe))).filter((t): t is PgTools => t !== null);
  found.sort((a, b) => b.major - a.major);
  const best = found[0];
  if (best && best.major >= minMajor) return best;
  const seen = found.length
    ? `found only ${[...new Set(found.map((t) => `${t.version} (${t.binDir})`))].join(', ')}`
    : 'none found';
  throw new PgwardError(`pg_dump/pg_restore ${minMajor} or newer is needed ${why}; ${seen}`, {
    hint: forced
      ? `PGWARD_PG_BIN=${env.PGWARD_PG_BIN} holds an older or incomplete set: point it at PostgreSQL ${minMajor}+ client binaries`
      : `install the PostgreSQL ${minMajor} client (e.g. apt-get install postgresql-client-${minMajor}) or set PGWARD_PG_BIN to its bin directory`,
  });
}
