// One request to Render's REST API: Bearer auth, JSON, bounded retries (429 honours Retry-After on every
// method; 5xx and network errors are retried on GETs only, which are safe to repeat), and every failure
// turned into one PgwardError line. The key is registered as a secret before the first request.
import { PgwardError } from '../../errors.js';
import { redact } from '../../redact.js';
import { ApiHttp, apiSleep, readJson } from '../api-http.js';
import { PlatformUnreachableError } from '../unreachable.js';

export const DEFAULT_RENDER_API_URL = 'https://api.render.com/v1';

export interface RenderHttpOptions {
  apiKey: string;
  /** Base URL ending in /v1 (default https://api.render.com/v1). */
  apiUrl?: string;
  /** Where the key was read from, for error hints (default RENDER_API_KEY). */
  apiKeyEnv?: string;
  /** Retries after a 429 (default 5); each waits Retry-After seconds, at most `maxRetryAfterMs`. */
  maxRateLimitRetries?: number;
  maxRetryAfterMs?: number;
  /** Retries of a GET after a 5xx or a network error (default 5), with backoff from `retryBaseMs` (default 500). */
  maxGetRetries?: number;
  retryBaseMs?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export interface RenderResponse<T> {
  status: number;
  body: T;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return apiSleep(ms, signal, 'Render API wait');
}

/** `Render API GET /services/srv-…: 404 not_found service not found` with a hint for the common causes. */
export function apiError(
  method: string,
  path: string,
  status: number,
  body: unknown,
  keyEnv: string,
): PgwardError {
  const b = (body && typeof body === 'object' ? body : {}) as { code?: string; message?: string };
  const code = b.code ?? statusWord(status);
  const message = b.message ? ` ${b.message}` : '';
  const line = redact(`Render API ${method} ${path}: ${status} ${code}${message}`.replace(/\s+/g, ' '));
  return new PgwardError(line, { hint: hintFor(status, path, keyEnv) });
}

function statusWord(status: number): string {
  const words: Record<number, string> = {
    400: 'bad_request',
    401: 'unauthorized',
    402: 'payment_required',
    403: 'forbidden',
    404: 'not_found',
    409: 'conflict',
    429: 'rate_limited',
    500: 'server_error',
    503: 'unavailable',
  };
  return words[status] ?? (status >= 500 ? 'server_error' : 'error');
}

function hintFor(status: number, path: string, keyEnv: string): string | undefined {
  if (status === 401)
    return `check ${keyEnv}: it must hold a valid Render API key (Account settings → API keys)`;
  if (status === 403) return `check that the key in ${keyEnv} belongs to the workspace of this resource`;
  if (status === 404 && /^\/services\/[^/]+$/.test(path))
    return 'check deploy.render.services in pgward.yaml';
  if (status === 404 && /^\/services\//.test(path))
    return 'check deploy.render.services in pgward.yaml and the deploy id';
  if (status === 404 && /^\/postgres\//.test(path)) return 'check deploy.render.postgres in pgward.yaml';
  if (status === 429) return 'Render rate limits deploys to 10 per minute per service: wait and run again';
  if (status >= 500) return 'Render is having trouble: wait and run again';
  return undefined;
}

export class RenderHttp {
  readonly apiUrl: string;
  readonly keyEnv: string;
  private readonly http: ApiHttp;

  constructor(opts: RenderHttpOptions) {
    this.apiUrl = (opts.apiUrl ?? DEFAULT_RENDER_API_URL).replace(/\/+$/, '');
    this.keyEnv = opts.apiKeyEnv ?? 'RENDER_API_KEY';
    this.http = new ApiHttp({
      api: 'Render API',
      apiUrl: this.apiUrl,
      apiKey: opts.apiKey,
      maxRateLimitRetries: opts.maxRateLimitRetries ?? 5,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 120_000,
      maxRetries: opts.maxGetRetries ?? 5,
      retryBaseMs: opts.retryBaseMs ?? 500,
      timeoutMs: opts.timeoutMs ?? 30_000,
      // Only reads are retried: a POST that timed out may have created the deploy.
      retryNetwork: (method) => method === 'GET',
      retryStatus: (status, method) => status >= 500 && method === 'GET',
    });
  }

  /** Sends one request; `path` is relative to the base URL (e.g. /services/srv-…/deploys?limit=1). */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<RenderResponse<T>> {
    const shown = path.split('?')[0] ?? path;
    const res = await this.http.send(method, path, body, signal);
    const parsed = await readJson(res);
    if (res.status >= 500) {
      const e = apiError(method, shown, res.status, parsed, this.keyEnv);
      throw new PlatformUnreachableError(e.message, e.hint);
    }
    if (!res.ok) throw apiError(method, shown, res.status, parsed, this.keyEnv);
    return { status: res.status, body: parsed as T };
  }
}
