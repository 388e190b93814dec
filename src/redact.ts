// Secrets never leak: every line pgward prints goes through redact(). Passwords embedded in URLs are
// masked by shape; passwords that reach pgward in other ways (PGPASSWORD, key=value conninfo) are
// registered here and masked wherever they appear as a whole: a short secret such as 'web' must not
// turn 'webhook' into '*****hook' (which both garbles the output and hints at the secret).

import { writeJson } from './json-writer.js';

const secrets = new Map<string, RegExp>();
const MASK = '*****';
const WORD_CHAR = '[\\p{L}\\p{N}_]';

/** Matches `secret` where it is not glued to letters or digits on the side(s) where it starts/ends with one. */
function wholeOccurrences(secret: string): RegExp {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const before = /^[\p{L}\p{N}_]/u.test(secret) ? `(?<!${WORD_CHAR})` : '';
  const after = /[\p{L}\p{N}_]$/u.test(secret) ? `(?!${WORD_CHAR})` : '';
  return new RegExp(`${before}${escaped}${after}`, 'gu');
}

/** Remembers a secret so that redact() masks it everywhere (also its URL-encoded form). */
export function registerSecret(secret: string | undefined | null): void {
  if (!secret || secret.length < 3) return;
  if (!secrets.has(secret)) secrets.set(secret, wholeOccurrences(secret));
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret && !secrets.has(encoded)) secrets.set(encoded, wholeOccurrences(encoded));
  trace = traceOfSecrets();
}

/**
 * Matches any text redact() could change: an '@' (URL passwords), "password" (key=value), a registered
 * secret. One search per string: most output holds none. Case-insensitive for the secrets too: a
 * superset, which only sends a text to the exact checks.
 */
let trace = traceOfSecrets();

function traceOfSecrets(): RegExp {
  const escaped = [...secrets.keys()].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(['@', 'password', ...escaped].join('|'), 'i');
}

// scheme://user:password@host — the password ends at the last '@' before the host part.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^\s@/]*(?:@[^\s@/]*)*?)(@[^\s@/]+)/gi;
// password=... and sslpassword=... in libpq key/value strings and query parameters
const KV_PASSWORD = /\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi;

export function redact(text: string): string {
  if (!trace.test(text)) return text;
  let out = text.replace(
    URL_PASSWORD,
    (_m, pre: string, _pw: string, host: string) => `${pre}${MASK}${host}`,
  );
  out = out.replace(KV_PASSWORD, (_m, pre: string) => `${pre}${MASK}`);
  for (const [s, re] of secrets) {
    if (out.includes(s)) out = out.replace(re, MASK);
  }
  return out;
}

/** A URL safe to show: the password replaced, the rest kept so users can tell which server it is. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      registerSecret(decodeURIComponent(u.password));
      u.password = MASK;
    }
    return redact(u.toString());
  } catch {
    return redact(url);
  }
}

/**
 * Writes `value` as JSON.stringify(value, null, space) would, every string (keys included) redacted, in
 * chunks of about 1 MiB given to `emit`: a large report is never built as one string (json-writer.ts says
 * why that matters). Returns false when there is nothing to write (value undefined).
 */
export function writeRedactedJson(value: unknown, space: number, emit: (chunk: Buffer) => void): boolean {
  return writeJson(value, space, emit, redact);
}

/**
 * Deep-redacts every string in a JSON-able value, for JSON.stringify. Copy on write: a part with nothing
 * to mask is returned as it is (a 5,000-statement lint report was copied whole, ~80 ms of its run), a
 * part holding a secret, and any instance of a class, is copied as a plain object (own enumerable
 * properties) with the secret masked. The value given is never changed.
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return redactArray(value) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) return redactObject(value) as T;
  return value;
}

function redactArray(value: unknown[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    const r = redactDeep(v);
    if (r !== v) {
      out ??= value.slice();
      out[i] = r;
    }
  }
  return out ?? value;
}

function redactObject(value: object): object {
  const entries = Object.entries(value);
  let changed = false;
  for (const e of entries) {
    const r = redactDeep(e[1]);
    if (r !== e[1]) {
      e[1] = r;
      changed = true;
    }
  }
  // Only a plain object may be passed on as it is: an instance can have a toJSON of its own (a URL's
  // writes its href, password included), which the copy, like before, does not carry.
  const proto = Object.getPrototypeOf(value);
  const plain = proto === Object.prototype || proto === null;
  return changed || !plain ? Object.fromEntries(entries) : value;
}
