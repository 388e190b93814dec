// The catalog lease: one writer at a time for every read-check-write of the catalog (verify recording
// its result, prune deleting a backup, create publishing a manifest, recover recording a drill), across
// processes and serve replicas sharing one storage.
//
// Why this protocol: a compare-and-set PUT (`If-None-Match: *`) is not available everywhere: s3rver
// (our test store) ignores it on PUT, as do several S3-compatible stores. So each contender writes its
// OWN candidate object, then lists: it holds the lease only if no other live candidate is listed;
// otherwise it removes its candidate and retries after a random pause. With read-after-write consistent
// listings (local directories; S3 since 2020) two contenders can never both see themselves alone: the
// one that lists second necessarily sees the first's candidate. The same code runs on file:// and s3://.
// Candidates carry their expiry in their name; an expired one (its holder crashed) is ignored and
// removed, which is the stale-lease takeover. Holders keep the lease for seconds (one manifest rewrite,
// one backup's deletion), far below the TTL, and check the lease before writing.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ExitCode, PgwardError } from '../errors.js';
import type { Storage } from './storage.js';

const LEASE_PREFIX = 'pgward-lease.';
const LEASE_KEY = /^pgward-lease\.(\d{13})\.([0-9a-f]{12})$/;

export interface LeaseOptions {
  /** How long a holder may keep the lease before others may take it over. */
  ttlMs?: number;
  /** How long to wait for the lease before giving up. */
  waitMs?: number;
}

export const isLeaseKey = (key: string): boolean => key.startsWith(LEASE_PREFIX);

export interface Lease {
  /** Throws when the lease is about to expire: a write after that could race a takeover. */
  assertHeld(): void;
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquireLease(storage: Storage, purpose: string, o: LeaseOptions = {}): Promise<Lease> {
  const ttl = o.ttlMs ?? 120_000;
  const deadline = Date.now() + (o.waitMs ?? 60_000);
  const owner = randomBytes(6).toString('hex');
  for (;;) {
    const expires = Date.now() + ttl;
    const key = `${LEASE_PREFIX}${expires}.${owner}`;
    await storage.putText(
      key,
      `${JSON.stringify({ host: hostname(), pid: process.pid, purpose, expires })}\n`,
    );
    const rivals = await liveRivals(storage, key);
    if (rivals === 0) return held(storage, key, expires);
    await storage.delete(key).catch(() => {});
    if (Date.now() > deadline) {
      throw new PgwardError(`the backup catalog in ${storage.url} is busy (another pgward holds its lease)`, {
        exitCode: ExitCode.lockBusy,
        hint: 'retry in a moment; a crashed holder’s lease expires by itself',
      });
    }
    await sleep(50 + Math.floor(Math.random() * 250));
  }
}

/** Counts other unexpired candidates; expired ones (crashed holders) are removed on the way. */
async function liveRivals(storage: Storage, mine: string): Promise<number> {
  let n = 0;
  for (const o of await storage.list()) {
    const m = LEASE_KEY.exec(o.key);
    if (!m || o.key === mine) continue;
    if (Number(m[1]) > Date.now()) n++;
    else await storage.delete(o.key).catch(() => {});
  }
  return n;
}

function held(storage: Storage, key: string, expires: number): Lease {
  return {
    assertHeld() {
      // A margin for the write that follows: it must land before anyone may consider the lease stale.
      if (Date.now() > expires - 10_000) {
        throw new PgwardError(
          `lost the backup catalog lease in ${storage.url} (held too long): nothing written`,
        );
      }
    },
    release: () => storage.delete(key).catch(() => {}),
  };
}

export async function withLease<T>(
  storage: Storage,
  purpose: string,
  fn: (lease: Lease) => Promise<T>,
  o?: LeaseOptions,
): Promise<T> {
  const lease = await acquireLease(storage, purpose, o);
  try {
    return await fn(lease);
  } finally {
    await lease.release();
  }
}
