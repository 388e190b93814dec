// What every platform REST client needs, once: Bearer-authenticated JSON requests with a timeout, 429
// honoured (Retry-After, bounded), transient failures retried with capped exponential backoff where the
// platform says it is safe, network errors after the retries as PlatformUnreachableError (a deploy
// waiting on it stays resumable), an interruptible sleep. Render and Neon differ only in which statuses
// and methods are safe to retry, and in how their error bodies read (their own http.ts).
import { InterruptedError } from '../interrupt.js';
import { redact, registerSecret } from '../redact.js';
import { PlatformUnreachableError } from './unreachable.js';

export interface ApiHttpOptions {
  /** How errors name the API: "Render API", "Neon API". */
  api: string;
  apiUrl: string;
  apiKey: string;
  timeoutMs: number;
  retryBaseMs: number;
  /** Retries of network errors and of the statuses `retryStatus` accepts. */
  maxRetries: number;
  maxRateLimitRetries: number;
  maxRetryAfterMs: number;
  /** Whether a network error of this method may be retried (the request may have been applied). */
  retryNetwork(method: string): boolean;
  /** Whether an answer with this status may be retried for this method. */
  retryStatus(status: number, method: string): boolean;
}

/** Waits `ms`, or rejects with InterruptedError when `signal` aborts. */
export function apiSleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError(what));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new InterruptedError(what));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function retryAfterMs(res: Response, fallback: number, cap: number): number {
  const h = res.headers.get('retry-after');
  let ms = fallback;
  if (h && /^\d+(\.\d+)?$/.test(h.trim())) ms = Number(h) * 1000;
  else if (h && !Number.isNaN(Date.parse(h))) ms = Date.parse(h) - Date.now();
  return Math.min(Math.max(ms, 0), cap);
}

/** The body as JSON; undefined when empty; `{message}` holding the start of a body that is not JSON. */
export async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function networkWord(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? 'unknown';
}

export class ApiHttp {
  constructor(private readonly o: ApiHttpOptions) {
    registerSecret(o.apiKey);
  }

  backoff(attempt: number): number {
    return Math.min(this.o.retryBaseMs * 2 ** attempt, 30_000);
  }

  /** Sends one request, retried as the options allow; returns the first answer that is not retried. */
  async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const shown = path.split('?')[0] ?? path;
    const wait = (ms: number) => apiSleep(ms, signal, `${this.o.api} wait`);
    let rateLimited = 0;
    let failures = 0;
    for (;;) {
      let res: Response;
      try {
        res = await this.fetchOnce(method, path, body, signal);
      } catch (err) {
        if (signal?.aborted) throw new InterruptedError(`${this.o.api} ${method} ${shown}`);
        if (!this.o.retryNetwork(method) || failures >= this.o.maxRetries)
          throw new PlatformUnreachableError(
            redact(`${this.o.api} ${method} ${shown}: network error ${networkWord(err)}`),
            `check that ${this.o.apiUrl} is reachable${method === 'GET' ? '' : '; the request may or may not have been applied'}`,
          );
        await wait(this.backoff(failures++));
        continue;
      }
      if (res.status === 429 && rateLimited < this.o.maxRateLimitRetries) {
        await res.text();
        rateLimited++;
        await wait(retryAfterMs(res, this.backoff(rateLimited), this.o.maxRetryAfterMs));
        continue;
      }
      if (this.o.retryStatus(res.status, method) && failures < this.o.maxRetries) {
        await res.text();
        await wait(this.backoff(failures++));
        continue;
      }
      return res;
    }
  }

  private fetchOnce(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.o.apiKey}`,
      Accept: 'application/json',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(`${this.o.apiUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  }
}
