// Secrets never leak: every line pgward prints goes through redact(). Passwords embedded in URLs are
// masked by shape; passwords that reach pgward in other ways (PGPASSWORD, key=value conninfo) are
// registered here and masked wherever they appear as a whole: a short secret such as 'web' must not
// turn 'webhook' into '*****hook' (which both garbles the output and hints at the secret).

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
}

// scheme://user:password@host — the password ends at the last '@' before the host part.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^\s@/]*(?:@[^\s@/]*)*?)(@[^\s@/]+)/gi;
// password=... and sslpassword=... in libpq key/value strings and query parameters
const KV_PASSWORD = /\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi;

export function redact(text: string): string {
  // Fast path for the bulk of output (large JSON reports): nothing URL- or password-shaped, no known secret.
  if (!text.includes('@') && !/password/i.test(text) && ![...secrets.keys()].some((s) => text.includes(s)))
    return text;
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

/** Deep-redacts every string in a JSON-able value. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
