// Readings of the whole server, shared by the environments one process watches on the same server. The
// session scan (pg_stat_activity) reads every backend of the server and answers for the server, not
// for one database: a fleet with 100 databases on one server asked the same question 100 times a
// refresh, each time over every backend — work that grew with the square of the fleet (bench/fleet:
// the largest single cost of the servers). One scan per server per interval now answers them all.
import type { Activity } from './probe-activity.js';

/**
 * Which server a connection is on, and as whom (what the session scan shows depends on the role: other
 * roles' queries are hidden without pg_read_all_stats). Read on the connection itself, so two URLs of
 * one server share and one URL that now reaches another server does not.
 */
export interface ServerKey {
  /** pg_postmaster_start_time() to the microsecond, the port and the server address. */
  server: string;
  role: string;
}

export class ServerShare {
  private readonly scans = new Map<string, { at: number; reading: Promise<Activity> }>();

  /** @param maxAgeMs how old a scan another environment made may be when it is reused. */
  constructor(private readonly maxAgeMs: number) {}

  /**
   * The server's session scan: the one another environment made less than maxAgeMs ago (or is making),
   * else `scan()`. Our own session is left out, as a scan of our own leaves it out.
   */
  async activity(key: ServerKey, ownPid: number, scan: () => Promise<Activity>): Promise<Activity> {
    const k = `${key.server}\u0000${key.role}`;
    const held = this.scans.get(k);
    if (held && Date.now() - held.at < this.maxAgeMs) {
      // Another environment's failure (its connection lost) is not ours: then scan on our own.
      const shared = await held.reading.catch(() => undefined);
      if (shared) return withoutSession(shared, ownPid);
    }
    const reading = scan();
    this.scans.set(k, { at: Date.now(), reading });
    reading.catch(() => {
      if (this.scans.get(k)?.reading === reading) this.scans.delete(k);
    });
    return reading;
  }
}

function withoutSession(a: Activity, pid: number): Activity {
  return {
    ...a,
    sessions: a.sessions.filter((s) => s.pid !== pid),
    waits: a.waits.filter((w) => w.pid !== pid),
  };
}
