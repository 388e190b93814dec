// Transaction poolers (PgBouncer in pool_mode=transaction or statement, Neon's `-pooler` endpoints): each
// transaction may run on another server session, so session state — the migration advisory lock, SET,
// a dump's snapshot — does not hold. pgward's session work refuses such a URL with one line naming the
// fix (`direct_url` in pgward.yaml), or uses the direct URL when one is configured (docs/connections.md).
import type pg from 'pg';
import type { PoolerSetting, Target } from '../config/target.js';
import { ExitCode, PgwardError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { connect } from './connect.js';

export type { PoolerSetting } from '../config/target.js';

export interface SessionCheck {
  /** The URL the client was opened with (a second connection to it is the probe). */
  url: string;
  pooler?: PoolerSetting | undefined;
  /** The environment, named in the fix. */
  env?: string | undefined;
}

/** The session check of a target: its URL, its pooler setting, its environment. */
export function sessionOf(target: {
  url: string;
  pooler?: Target['pooler'] | undefined;
  env?: string | undefined;
}): SessionCheck {
  return { url: target.url, pooler: target.pooler, env: target.env };
}

/** Neon's pooled endpoints: the first label of the host ends with -pooler (ep-xxx-pooler.region.aws.neon.tech). */
export function isNeonPoolerHost(url: string): boolean {
  try {
    const first = new URL(url).hostname.split('.')[0] ?? '';
    return first.endsWith('-pooler');
  } catch {
    return false;
  }
}

async function pid(c: pg.Client): Promise<number> {
  return (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/**
 * Does the client's session survive between transactions? A second client opens a transaction right after
 * this one's statement ended: through a transaction pooler it is given the server session this client
 * just released (PgBouncer reuses the last one first), or this client is moved to another one. Directly
 * or through a session pooler, a client keeps its own server session whatever the other one does.
 */
export async function probeTransactionPooler(
  client: pg.Client,
  url: string,
  partner?: Promise<pg.Client>,
): Promise<string | undefined> {
  const first = await pid(client);
  const other = partner ? await partner : await connect(url, { applicationName: 'pgward pooler probe' });
  try {
    await other.query('BEGIN');
    const taken = await pid(other);
    const again = await pid(client);
    await other.query('ROLLBACK');
    if (taken === first || again !== first)
      return `its server session changed between two transactions (backend pid ${first}, then ${taken === first ? `${taken} for another client` : again})`;
    return undefined;
  } finally {
    if (!partner) await other.end().catch(() => {});
  }
}

/**
 * Why the URL is a transaction pooler, or undefined when the session holds. `partner`: another client
 * the caller opened to the same URL and keeps (idle, outside a transaction), used as the probe's second
 * client instead of opening one.
 */
export async function transactionPoolerReason(
  client: pg.Client,
  check: SessionCheck,
  partner?: Promise<pg.Client>,
): Promise<string | undefined> {
  const setting = check.pooler ?? 'auto';
  if (setting === 'transaction') return 'pgward.yaml says `pooler: transaction`';
  if (setting !== 'auto') return undefined;
  if (isNeonPoolerHost(check.url)) return "its host name ends in -pooler (Neon's pooled endpoint)";
  return probeTransactionPooler(client, check.url, partner);
}

/**
 * Refuses session work (`what`: "the migration lock", "a backup"...) through a transaction pooler, with
 * the fix: a direct URL.
 */
export async function assertSessionHolds(
  client: pg.Client,
  check: SessionCheck,
  what: string,
  partner?: Promise<pg.Client>,
): Promise<void> {
  const reason = await transactionPoolerReason(client, check, partner);
  if (!reason) return;
  const where = check.env
    ? `environments.${check.env}.direct_url in pgward.yaml`
    : 'the direct URL with --url';
  throw new PgwardError(
    `${redactUrl(check.url)} goes through a transaction pooler (${reason}): ${what} needs one server session for the whole run, which a transaction pooler does not keep`,
    {
      exitCode: ExitCode.usage,
      hint: `give pgward the database's direct (unpooled) URL: ${where} (on Neon: the host without -pooler)`,
    },
  );
}
