// One request to Neon's API v2: Bearer auth, JSON, bounded retries and one-line errors.
// - 423 Locked (another operation holds the resource) and 503 are retried on every method: Neon documents
//   both as safe to retry (research note §4.1; neonctl retries 423 5× with 3 s waits);
// - 429 waits Retry-After when present, else an exponential backoff;
// - a network error is retried on GETs only (a POST may or may not have been applied);
// - every failure is one PgwardError line naming the method, path, status, code, message and request_id.
// The key is registered as a secret before the first request.
import { PgwardError } from '../../errors.js';
import { redact } from '../../redact.js';
import { ApiHttp, apiSleep, readJson } from '../api-http.js';
import { PlatformUnreachableError } from '../unreachable.js';

export const DEFAULT_NEON_API_URL = 'https://console.neon.tech/api/v2';

export interface NeonHttpOptions {
  apiKey: string;
  /** Base URL ending in /api/v2 (default https://console.neon.tech/api/v2). */
  apiUrl?: string;
  /** Where the key was read from, for error hints (default NEON_API_KEY). */
  apiKeyEnv?: string;
  /** Retries after a 423 or 503 (default 5), with backoff from `retryBaseMs` (default 1000). */
  maxRetries?: number;
  retryBaseMs?: number;
  /** Retries after a 429 (default 5); each waits Retry-After seconds, at most `maxRetryAfterMs`. */
  maxRateLimitRetries?: number;
  maxRetryAfterMs?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export function neonSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return apiSleep(ms, signal, 'Neon API wait');
}

function hintFor(status: number, path: string, keyEnv: string): string | undefined {
  if (status === 401)
    return `check ${keyEnv}: it must hold a valid Neon API key (Account settings → API keys)`;
  if (status === 403) return `check that the key in ${keyEnv} may act on this project (project-scoped keys)`;
  if (status === 404 && /^\/projects\/[^/]+$/.test(path)) return 'check neon.project in pgward.yaml';
  if (status === 404 && /\/branches\//.test(path)) return 'check neon.branch in pgward.yaml';
  if (status === 423) return 'another operation holds this branch: wait for it to finish and run again';
  if (status === 429) return 'Neon allows about 700 requests a minute per account: wait and run again';
  if (status >= 500) return 'Neon is having trouble: wait and run again';
  return undefined;
}

/** `Neon API POST /projects/p/branches: 400 bad_request parent not found (request_id 4b1c…)`. */
export function neonApiError(
  method: string,
  path: string,
  status: number,
  body: unknown,
  keyEnv: string,
  requestId?: string | null,
): PgwardError {
  const b = (body && typeof body === 'object' ? body : {}) as {
    code?: string;
    message?: string;
    request_id?: string;
  };
  const code = b.code || (status === 423 ? 'locked' : status === 429 ? 'rate_limited' : `http_${status}`);
  const message = b.message ? ` ${b.message}` : '';
  const rid = b.request_id || requestId;
  const line = `Neon API ${method} ${path}: ${status} ${code}${message}${rid ? ` (request_id ${rid})` : ''}`;
  return new PgwardError(redact(line.replace(/\s+/g, ' ')), { hint: hintFor(status, path, keyEnv) });
}

export class NeonHttp {
  readonly apiUrl: string;
  readonly keyEnv: string;
  private readonly http: ApiHttp;

  constructor(opts: NeonHttpOptions) {
    this.apiUrl = (opts.apiUrl ?? DEFAULT_NEON_API_URL).replace(/\/+$/, '');
    this.keyEnv = opts.apiKeyEnv ?? 'NEON_API_KEY';
    this.http = new ApiHttp({
      api: 'Neon API',
      apiUrl: this.apiUrl,
      apiKey: opts.apiKey,
      maxRetries: opts.maxRetries ?? 5,
      retryBaseMs: opts.retryBaseMs ?? 1000,
      maxRateLimitRetries: opts.maxRateLimitRetries ?? 5,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 60_000,
      timeoutMs: opts.timeoutMs ?? 30_000,
      retryNetwork: (method) => method === 'GET',
      // Neon documents 423 (locked by a running operation) and 503 as safe to retry, whatever the method.
      retryStatus: (status) => status === 423 || status === 503,
    });
  }

  /** Sends one request; `path` is relative to the base URL. 204 gives `undefined`. */
  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const shown = path.split('?')[0] ?? path;
    const res = await this.http.send(method, path, body, signal);
    const parsed = await readJson(res);
    if (!res.ok) {
      const e = neonApiError(method, shown, res.status, parsed, this.keyEnv, res.headers.get('x-request-id'));
      if (res.status >= 500) throw new PlatformUnreachableError(e.message, e.hint);
      throw e;
    }
    return parsed as T;
  }
}
