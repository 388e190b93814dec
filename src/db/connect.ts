// Connections to the user's database. Errors never show the password: the URL is redacted and the
// driver's message (which can quote connection details) goes through redact().
import { hostname } from 'node:os';
import pg from 'pg';
import { PgwardError } from '../errors.js';
import { redact, redactUrl } from '../redact.js';
import { describeTlsError, type TlsPlan, tlsPlan } from './tls.js';

// Return int8 and numeric as strings is pg's default; counts are parsed where needed.

export interface ConnectOptions {
  /** Shown in pg_stat_activity, so a DBA (and pgward's lock-holder message) can tell who is connected. */
  applicationName?: string;
  connectTimeoutMs?: number;
  /** Send queued queries without waiting for each answer (used to send a history row and COMMIT together). */
  pipeline?: boolean;
}

export type DbClient = pg.Client;

export function appName(purpose: string): string {
  return `pgward ${purpose} (${hostname()} pid ${process.pid})`.slice(0, 63);
}

/**
 * Calls `send`, which queues queries on a pipelining client, with the client's socket corked: the queued
 * messages (an extended-protocol query alone is five) leave in one write instead of one write each.
 */
export function corked<T>(client: pg.Client, send: () => T): T {
  type Corkable = { cork?: () => void; uncork?: () => void };
  const stream = (client as unknown as { connection?: { stream?: Corkable } }).connection?.stream;
  stream?.cork?.();
  try {
    return send();
  } finally {
    stream?.uncork?.();
  }
}

export async function connect(url: string, opts: ConnectOptions = {}): Promise<pg.Client> {
  const plan = tlsPlan(url);
  try {
    return await open(plan, plan.ssl, opts);
  } catch (err) {
    // sslmode=prefer: the server has no TLS, so a plain connection, as libpq does.
    if (plan.fallbackPlain && /does not support SSL/i.test((err as Error).message ?? ''))
      return open(plan, false, opts).catch((e2) => fail(url, plan, e2));
    return fail(url, plan, err);
  }
}

async function open(plan: TlsPlan, ssl: TlsPlan['ssl'], opts: ConnectOptions): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: plan.url,
    ssl,
    application_name: opts.applicationName ?? appName('cli'),
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    pipeline: opts.pipeline ?? false,
  });
  // An idle client whose server goes away emits 'error'; without a listener Node would crash.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return client;
}

function fail(url: string, plan: TlsPlan, err: unknown): never {
  const tls = describeTlsError(err, plan);
  throw new PgwardError(
    `cannot connect to ${redactUrl(url)}: ${redact(tls ?? describeConnectError(err))}`,
    tls ? {} : { hint: 'check that the server is running and the URL, user and password are right' },
  );
}

export const NO_PASSWORD_GIVEN =
  'the server asked for a password and none was given: add it to the URL, PGPASSWORD or ~/.pgpass';

function describeConnectError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { message?: string };
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'ENOTFOUND') return 'host not found';
  if (e.code === '28P01') return 'password authentication failed';
  if (e.code === '3D000') return e.message ?? 'database does not exist';
  // The driver's own wording ("SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string") says
  // nothing useful to someone whose URL simply has no password.
  if (/client password must be a (non-empty )?string/i.test(e.message ?? '')) return NO_PASSWORD_GIVEN;
  return e.message || String(err);
}

export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
  opts?: ConnectOptions,
): Promise<T> {
  const client = await connect(url, opts);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export { qualified, quoteIdent } from '../sql/quote.js';
