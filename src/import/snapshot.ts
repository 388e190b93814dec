// `--snapshot <file.rdb>`: the dump (from `redis-cli --rdb`, or a paused writer's dump.rdb) is copied into
// a private temporary folder and loaded by a redis-server started only for this import, on a free local
// port with saving off; the import SCANs it like a live server, and the server and the copy are removed
// afterwards. Every reader sees exactly the dump: a fixed point in time, unlike a live server's SCAN.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { processAlive } from '../db/owned.js';
import { PgwardError, UsageError } from '../errors.js';

export interface RedisSnapshotServer {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a private redis-server on a copy of `rdbFile` (the file itself is never opened for writing).
 *
 * @example
 * ```ts
 * import { RedisSource, startSnapshotServer } from 'pgward';
 * const server = await startSnapshotServer('dump.rdb');
 * const source = new RedisSource({ url: server.url, pattern: 'app:*' });
 * await source.close();
 * await server.stop();
 * ```
 */
export async function startSnapshotServer(
  rdbFile: string,
  opts: { redisServer?: string; timeoutMs?: number } = {},
): Promise<RedisSnapshotServer> {
  if (!existsSync(rdbFile)) throw new UsageError(`--snapshot ${rdbFile}: no such file`);
  sweepOrphans();
  const dir = mkdtempSync(join(tmpdir(), 'pgward-rdb-'));
  copyFileSync(rdbFile, join(dir, 'dump.rdb'));
  const port = await freePort();
  const bin = opts.redisServer ?? process.env.PGWARD_REDIS_SERVER ?? 'redis-server';
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--dbfilename',
    'dump.rdb',
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'yes',
  ];
  let child: ChildProcess;
  let log = '';
  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new PgwardError(`cannot start ${bin} for --snapshot: ${(err as Error).message}`, {
      hint: 'install redis-server (Debian package redis-server)',
    });
  }
  writeFileSync(join(dir, 'owner'), `${process.pid} ${child.pid ?? 0}\n`);
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(
        new PgwardError(`cannot start ${bin} for --snapshot: ${err.message}`, {
          hint: 'install redis-server (Debian package redis-server)',
        }),
      ),
    );
    child.once('exit', () =>
      reject(
        new PgwardError(`redis-server could not load ${rdbFile}: ${lastLines(log)}`, {
          hint: 'is it an RDB file from `redis-cli --rdb` of a compatible Redis version?',
        }),
      ),
    );
  });
  try {
    await Promise.race([waitLoaded(port, opts.timeoutMs ?? 60_000), failed]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  failed.catch(() => {});
  return { url: `redis://127.0.0.1:${port}`, stop: cleanup };
}

/**
 * A snapshot import killed with SIGKILL cannot stop its redis-server: the next --snapshot run does, for
 * every pgward-rdb-* folder whose owning pgward process is gone (the server is killed only when its
 * working directory is that folder: redis-server changes into its --dir), and removes the folder.
 */
function sweepOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('pgward-rdb-')) continue;
    const dir = join(tmpdir(), name);
    try {
      const [owner, server] = readFileSync(join(dir, 'owner'), 'utf8').trim().split(' ').map(Number);
      if (owner && processAlive(owner)) continue;
      if (server && processAlive(server) && readlinkSync(`/proc/${server}/cwd`) === dir)
        process.kill(server, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // not ours to judge (no owner file yet, or already gone)
    }
  }
}

function lastLines(log: string): string {
  return log.trim().split('\n').slice(-2).join(' ').slice(0, 300);
}

async function waitLoaded(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    r.on('error', () => {});
    try {
      await r.connect();
      const info = await r.info('persistence');
      if (/loading:0/.test(info)) return;
    } catch {
      // not listening yet, or still loading
    } finally {
      r.disconnect();
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new PgwardError(
    `redis-server did not finish loading the snapshot within ${Math.round(timeoutMs / 1000)} s`,
  );
}
