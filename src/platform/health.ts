// "The app answers ok N times in a row": polls a health URL until it has seen `checks` consecutive 2xx
// answers, or the timeout passes. Any other answer (or no answer) resets the run.
import { formatDuration, MS } from '../format/units.js';

export interface HealthCheckOptions {
  url: string;
  /** Consecutive 2xx answers required. */
  checks: number;
  intervalMs: number;
  timeoutMs: number;
  /** Per-request timeout (default: min(intervalMs·2, 10 s), at least 1 s). */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  onAttempt?: (a: HealthAttempt) => void;
}

export interface HealthAttempt {
  ok: boolean;
  /** HTTP status, or null when there was no answer. */
  status: number | null;
  /** Why it was not ok, when it was not (connection refused, timeout, HTTP 503). */
  error?: string;
  consecutive: number;
}

export interface HealthResult {
  ok: boolean;
  attempts: number;
  consecutive: number;
  last: HealthAttempt | null;
  durationMs: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

async function probe(url: string, timeoutMs: number): Promise<{ status: number | null; error?: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    return res.status >= 200 && res.status < 300
      ? { status: res.status }
      : { status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${formatDuration(timeoutMs, MS)}`
        : (e.cause?.code ?? e.message);
    return { status: null, error: why };
  }
}

/** Polls until `checks` consecutive 2xx answers (ok) or the timeout / abort (not ok). */
export async function checkHealth(o: HealthCheckOptions): Promise<HealthResult> {
  const started = Date.now();
  const perRequest = o.requestTimeoutMs ?? Math.max(1000, Math.min(o.intervalMs * 2, 10_000));
  let consecutive = 0;
  let attempts = 0;
  let last: HealthAttempt | null = null;
  while (!o.signal?.aborted) {
    const r = await probe(o.url, perRequest);
    attempts++;
    consecutive = r.error ? 0 : consecutive + 1;
    last = { ok: !r.error, status: r.status, consecutive, ...(r.error ? { error: r.error } : {}) };
    o.onAttempt?.(last);
    if (consecutive >= o.checks)
      return { ok: true, attempts, consecutive, last, durationMs: Date.now() - started };
    if (Date.now() - started + o.intervalMs > o.timeoutMs) break;
    await sleep(o.intervalMs, o.signal);
  }
  return { ok: false, attempts, consecutive, last, durationMs: Date.now() - started };
}
