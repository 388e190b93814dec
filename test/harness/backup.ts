// Shared by the backup tests: an app-shaped little database, a temp file storage, and a real
// S3-compatible server (s3rver, in this process, on a free loopback port).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { freePort } from './cluster.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { CLI, cliEnv } from './project.js';

export { CLI };

/** A database with the shapes backups must carry: FKs, jsonb, arrays, numeric, a partitioned table. */
export async function appDatabase(rows = 500): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await db.query(`
    CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, meta jsonb, tags text[]);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers(id), total numeric(12,2),
                         placed_at timestamptz NOT NULL) ;
    CREATE TABLE events (id bigint, at date NOT NULL, payload text) PARTITION BY RANGE (at);
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE TABLE "Odd ""Name""" (r int);
    INSERT INTO customers SELECT g, 'c' || g, jsonb_build_object('n', g), ARRAY['a', 'b' || g] FROM generate_series(1, ${rows}) g;
    INSERT INTO orders SELECT g, 1 + g % ${rows}, g * 1.5, '2024-06-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, ${rows * 2}) g;
    INSERT INTO events SELECT g, '2024-01-01'::date + (g % 700), md5(g::text) FROM generate_series(1, ${rows * 3}) g;
    INSERT INTO "Odd ""Name""" VALUES (1), (2);
    CREATE SCHEMA pgward;
    CREATE TABLE pgward.migrations (version text PRIMARY KEY, name text);
    INSERT INTO pgward.migrations VALUES ('20240101000000', 'init'), ('20240202000000', 'orders');
  `);
  return db;
}

/** Adds a table big enough (tens of MB of dump) that a dump can be interrupted mid-stream. */
export async function addBulk(db: TestDatabase, rows = 600_000): Promise<void> {
  await db.query(`CREATE TABLE bulk AS SELECT g AS id, md5(g::text) AS a, md5((g * 7)::text) AS b
                  FROM generate_series(1, ${rows}) g`);
}

export function tempDir(prefix: string): { dir: string; url: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, url: `file://${dir}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Like cli(), without blocking this process (needed when the server the CLI talks to runs in it). */
export function cliAsync(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export interface S3Server {
  endpoint: string;
  bucket: string;
  port: number;
  /** Stops the server and cuts open connections at once (a store that goes away mid-upload). */
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startS3(): Promise<S3Server> {
  // s3rver accepts the fixed key pair S3RVER/S3RVER; the SDK reads them from the standard env chain.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_REGION = 'us-east-1';
  const dir = mkdtempSync(join(tmpdir(), 'pgward-s3-'));
  const port = await freePort();
  const bucket = 'pgward-test';
  let server: S3rver | undefined;
  const sockets = new Set<Socket>();
  const start = async () => {
    server = new S3rver({
      port,
      address: '127.0.0.1',
      directory: dir,
      silent: true,
      configureBuckets: [{ name: bucket }],
    });
    await server.run();
    const http = (server as unknown as { httpServer: Server }).httpServer;
    http.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = s.close();
    for (const sock of sockets) sock.destroy();
    await closed;
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    port,
    stop,
    start,
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
