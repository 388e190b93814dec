// The guard's listener: a PostgreSQL endpoint on loopback that a framework's migrate command is pointed
// at. Each framework connection gets its own upstream session (never pooled, so session state, advisory
// locks and backend keys stay the framework's own), opened with the real credentials and the policy's
// timeouts forced last, so the framework cannot lower protection through its startup options.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { appName, withClient } from '../db/connect.js';
import { bindSessionToClient } from '../db/session.js';
import { redact } from '../redact.js';
import { GuardSession, type SessionHost, type Upstream } from './session.js';
import type { Inspector, StatementRecord } from './types.js';

export interface GuardOptions {
  /** The real database (credentials, TLS settings): only the guard ever dials it. */
  upstreamUrl: string;
  /** Settings forced on every upstream session (e.g. lock_timeout → '5s'), after the framework's own. */
  settings: Record<string, string>;
  inspector: Inspector;
  onStatement(rec: StatementRecord): void;
}

export interface Guard {
  port: number;
  /** User and database the framework should name (the upstream's; the password is the run's own). */
  user: string;
  database: string;
  /** One-time password of this run (never the database's). */
  password: string;
  /** URL for the framework: loopback, one-time password, plaintext (TLS is the guard's upstream side). */
  url: string;
  /** Upstream backend pids of the framework's open sessions. */
  upstreamPids(): number[];
  /** Connections the framework opened so far. */
  sessionsOpened(): number;
  close(): Promise<void>;
}

/** Escapes a value for the `options` startup parameter (spaces and backslashes are separators there). */
function optionValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');
}

const PASSED_AS_IS = new Set(['user', 'database', 'options', 'application_name', 'replication']);

/** The upstream URL for one framework session: its startup parameters, then the policy's, as options. */
export function upstreamUrlFor(base: string, startup: Map<string, string>, settings: Record<string, string>) {
  const url = new URL(base);
  const opts: string[] = [];
  const existing = url.searchParams.get('options');
  if (existing) opts.push(existing);
  if (startup.get('options')) opts.push(startup.get('options')!);
  for (const [k, v] of startup) if (!PASSED_AS_IS.has(k)) opts.push(`-c ${k}=${optionValue(v)}`);
  for (const [k, v] of Object.entries(settings)) opts.push(`-c ${k}=${optionValue(v)}`);
  if (opts.length) url.searchParams.set('options', opts.join(' '));
  url.searchParams.set(
    'application_name',
    (startup.get('application_name') || appName('guard')).slice(0, 63),
  );
  return url.toString();
}

async function connectUpstream(url: string): Promise<Upstream> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  const params = new Map<string, string>();
  const con = (client as unknown as { connection: NodeJS.EventEmitter & { stream: Socket } }).connection;
  con.on('parameterStatus', (m: { parameterName: string; parameterValue: string }) =>
    params.set(m.parameterName, m.parameterValue),
  );
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new Error(`cannot reach the database: ${redact((err as Error).message)}`);
  }
  // A kill -9 of pgward closes this socket: the framework's statement then stops with it.
  await bindSessionToClient(client);
  // From here on the guard relays raw bytes: pg's own parser lets go of the socket.
  const socket = con.stream;
  for (const ev of ['data', 'end', 'close', 'error']) socket.removeAllListeners(ev);
  const c = client as unknown as { processID: number; secretKey: number };
  return { socket, pid: c.processID, key: c.secretKey, params };
}

/**
 * Starts the guard on 127.0.0.1 (a free port) in front of `upstreamUrl`.
 *
 * @example
 * ```ts
 * import { startGuard } from 'pgward';
 * const guard = await startGuard({
 *   upstreamUrl: 'postgresql://app@db.internal/app',
 *   settings: { lock_timeout: '5s' },
 *   inspector: { inspect: async (sql) => ({ action: 'forward', statements: [sql], warnings: [] }) },
 *   onStatement: (r) => console.log(r.sql, r.durationMs),
 * });
 * console.log(guard.port);
 * await guard.close();
 * ```
 */
export async function startGuard(opts: GuardOptions): Promise<Guard> {
  const sessions = new Set<GuardSession>();
  let opened = 0;
  const password = randomBytes(18).toString('base64url');
  const upstream = new URL(opts.upstreamUrl);
  const host: SessionHost = {
    password,
    inspector: opts.inspector,
    connectUpstream: (startup) => connectUpstream(upstreamUrlFor(opts.upstreamUrl, startup, opts.settings)),
    record: (() => {
      let seq = 0;
      return (rec) => opts.onStatement({ ...rec, seq: ++seq });
    })(),
    cancel: (pid, key) => {
      // Only keys of this run's own sessions: the guard is never an open cancel relay.
      const known = [...sessions].some((s) => s.upstream?.pid === pid && s.upstream.key === key);
      if (known) void signalBackends(opts.upstreamUrl, 'cancel', [pid]);
    },
    opened: (s) => {
      sessions.add(s);
      opened++;
    },
    closed: (s) => sessions.delete(s),
  };
  const all = new Set<GuardSession>();
  let nextId = 0;
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const s = new GuardSession(++nextId, socket, host);
    all.add(s);
    socket.on('close', () => all.delete(s));
  });
  const port = await listen(server);
  const user = decodeURIComponent(upstream.username) || process.env.PGUSER || 'postgres';
  const database = decodeURIComponent(upstream.pathname.slice(1)) || user;
  const url = `postgresql://${encodeURIComponent(user)}:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}?sslmode=disable`;
  return {
    port,
    user,
    database,
    password,
    url,
    upstreamPids: () => [...sessions].map((s) => s.upstream!.pid),
    sessionsOpened: () => opened,
    close: async () => {
      for (const s of all) s.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
}

/** Cancels the running statement of (or terminates) upstream sessions, over a connection of pgward's own. */
export async function signalBackends(
  url: string,
  how: 'cancel' | 'terminate',
  pids: number[],
): Promise<void> {
  if (pids.length === 0) return;
  const fn = how === 'cancel' ? 'pg_cancel_backend' : 'pg_terminate_backend';
  await withClient(url, (c) => c.query(`SELECT ${fn}(pid) FROM unnest($1::int[]) AS pid`, [pids]), {
    applicationName: appName('guard'),
  }).catch(() => {});
}
