// Alerts: a condition is announced once when it starts and once when it clears, never repeated while it
// lasts. Across replicas the database decides who announces (pgward.alerts, read back at every refresh
// so every replica reports the same firing set); conditions raised while the database cannot be used
// are kept in this process's memory, so a database that is down neither floods nor silences the webhook.
import type pg from 'pg';
import { redact, redactDeep } from '../redact.js';
import { activeAlerts, clearAlert, raiseAlert } from './store.js';

export interface Condition {
  key: string;
  active: boolean;
  message: string;
}

export interface AlertEvent {
  event: 'alert' | 'resolved';
  env: string;
  key: string;
  message: string;
  at: string;
}

export type Logger = (line: string) => void;

/** POSTs one JSON document: `text` for Slack incoming webhooks, `pgward` for everyone else. */
export async function postWebhook(url: string, e: AlertEvent, timeoutMs = 5000): Promise<void> {
  const icon = e.event === 'alert' ? ':rotating_light:' : ':white_check_mark:';
  const body = redactDeep({
    text: `${icon} pgward ${e.env}: ${e.event === 'alert' ? '' : 'resolved: '}${e.message}`,
    pgward: e,
  });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
}

export class Alerter {
  /** What pgward.alerts said at the last look: the state every replica agrees on. */
  private persisted = new Map<string, string>();
  /** Raised without the database (it was down, or serve cannot write its tables): this process only. */
  private readonly local = new Map<string, string>();
  constructor(
    private readonly env: string,
    private readonly webhookUrl: string | undefined,
    private readonly log: Logger,
  ) {}

  /** Keys firing: those in pgward.alerts (as last read) and those only this process could raise. */
  active(): string[] {
    return [...new Set([...this.persisted.keys(), ...this.local.keys()])];
  }

  /** Re-reads the conditions raised in the database (by this replica, another one, or an earlier run). */
  async load(db: pg.Client): Promise<void> {
    this.persisted = new Map((await activeAlerts(db, this.env)).map((a) => [a.key, a.message]));
  }

  /**
   * Applies conditions. With `db`, the row in pgward.alerts decides: the replica whose INSERT creates it
   * sends the alert and the one whose DELETE removes it sends the resolution, so each is sent once across
   * replicas whoever saw the condition. Without it, this process's memory decides.
   */
  async apply(conditions: Condition[], db: pg.Client | null): Promise<void> {
    for (const c of conditions) {
      try {
        if (c.active) await (db ? this.raiseShared(c, db) : this.raiseLocal(c));
        else await this.clear(c, db);
      } catch (err) {
        this.log(`alert ${c.key}: ${redact((err as Error).message)}`);
      }
    }
  }

  private async raiseShared(c: Condition, db: pg.Client): Promise<void> {
    const mine = await raiseAlert(db, this.env, c.key, c.message);
    this.persisted.set(c.key, this.persisted.get(c.key) ?? c.message);
    // Already announced by this process while the database was unavailable: now shared, not repeated.
    const announcedLocally = this.local.delete(c.key);
    if (!mine || announcedLocally) return;
    if (!(await this.announce('alert', c.key, c.message))) {
      // Not delivered: withdraw it so the next evaluation (on any replica) tries again.
      this.persisted.delete(c.key);
      await clearAlert(db, this.env, c.key).catch(() => null);
    }
  }

  private async raiseLocal(c: Condition): Promise<void> {
    if (this.local.has(c.key) || this.persisted.has(c.key)) return;
    this.local.set(c.key, c.message);
    if (!(await this.announce('alert', c.key, c.message))) this.local.delete(c.key);
  }

  private async clear(c: Condition, db: pg.Client | null): Promise<void> {
    const shared = db ? await clearAlert(db, this.env, c.key) : null;
    if (db) this.persisted.delete(c.key);
    const local = this.local.get(c.key);
    this.local.delete(c.key);
    const message = shared ?? local;
    if (message === undefined || message === null) return;
    await this.announce('resolved', c.key, message);
  }

  private async announce(event: AlertEvent['event'], key: string, message: string): Promise<boolean> {
    this.log(`${event === 'alert' ? 'ALERT' : 'resolved'} ${key}: ${message}`);
    return this.send({ event, env: this.env, key, message, at: new Date().toISOString() });
  }

  private async send(e: AlertEvent): Promise<boolean> {
    if (!this.webhookUrl) return true;
    try {
      await postWebhook(this.webhookUrl, e);
      return true;
    } catch (err) {
      this.log(`webhook failed for ${e.key}: ${redact((err as Error).message)}`);
      return false;
    }
  }
}
