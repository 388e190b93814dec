// Alerts: a condition is announced once when it starts and once when it clears, never repeated while it
// lasts. Across replicas the database decides who announces (pgward.alerts); this process also keeps
// what it raised in memory, so a database that is down neither floods nor silences the webhook.
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
  private readonly raised = new Map<string, string>();
  constructor(
    private readonly env: string,
    private readonly webhookUrl: string | undefined,
    private readonly log: Logger,
  ) {}

  /** Keys raised by this process (or, once seen, by another replica). */
  active(): string[] {
    return [...this.raised.keys()];
  }

  /** Learns the conditions already raised in the database (by an earlier run or another replica). */
  async load(db: pg.Client): Promise<void> {
    for (const a of await activeAlerts(db, this.env)) this.raised.set(a.key, a.message);
  }

  /** Applies conditions; `db` is used for cross-replica agreement when given (and its tables exist). */
  async apply(conditions: Condition[], db: pg.Client | null): Promise<void> {
    for (const c of conditions) {
      try {
        if (c.active) await this.raise(c, db);
        else if (this.raised.has(c.key)) await this.clear(c, db);
      } catch (err) {
        this.log(`alert ${c.key}: ${redact((err as Error).message)}`);
      }
    }
  }

  private async raise(c: Condition, db: pg.Client | null): Promise<void> {
    if (this.raised.has(c.key)) return;
    const mine = db ? await raiseAlert(db, this.env, c.key, c.message) : true;
    this.raised.set(c.key, c.message);
    if (!mine) return; // another replica announced it
    this.log(`ALERT ${c.key}: ${c.message}`);
    const ok = await this.send({
      event: 'alert',
      env: this.env,
      key: c.key,
      message: c.message,
      at: new Date().toISOString(),
    });
    if (!ok) {
      // Not delivered: forget it so the next evaluation tries again.
      this.raised.delete(c.key);
      if (db) await clearAlert(db, this.env, c.key).catch(() => false);
    }
  }

  private async clear(c: Condition, db: pg.Client | null): Promise<void> {
    const known = this.raised.get(c.key);
    const mine = db ? await clearAlert(db, this.env, c.key) : known !== undefined;
    this.raised.delete(c.key);
    if (!mine) return;
    const message = known ?? c.message;
    this.log(`resolved ${c.key}: ${message}`);
    await this.send({ event: 'resolved', env: this.env, key: c.key, message, at: new Date().toISOString() });
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
