// Who may see the dashboard: with a serve token configured, a browser logs in once with a form (the
// token, compared in constant time) and gets a random session id in an HttpOnly, SameSite=Strict
// cookie (Secure when the request came over https, directly or per X-Forwarded-Proto). Sessions live
// in this process's memory for 12 hours; a restart logs everyone out. The bearer header works too.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

export const SESSION_COOKIE = 'pgward_session';
const SESSION_MS = 12 * 3_600_000;
const MAX_SESSIONS = 1000;

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time comparison of a guess with the token (digests: not even the length leaks). */
export function tokenMatches(guess: string, token: string): boolean {
  return timingSafeEqual(digest(guess), digest(token));
}

export function bearerMatches(req: http.IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m ? tokenMatches(m[1]!.trim(), token) : false;
}

export function cookieValue(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export function isHttps(req: http.IncomingMessage): boolean {
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]!
    .trim()
    .toLowerCase();
  return forwarded === 'https' || (req.socket as { encrypted?: boolean }).encrypted === true;
}

export class Sessions {
  /** session id digest (hex) → expiry (ms since epoch): the ids themselves are never kept. */
  private readonly live = new Map<string, number>();

  constructor(private readonly token: string | undefined) {}

  get open(): boolean {
    return this.token === undefined;
  }

  /** A browser session or a bearer header. */
  allowed(req: http.IncomingMessage): boolean {
    if (!this.token) return true;
    if (bearerMatches(req, this.token)) return true;
    const id = cookieValue(req, SESSION_COOKIE);
    if (!id) return false;
    const key = digest(id).toString('hex');
    const until = this.live.get(key);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.live.delete(key);
      return false;
    }
    return true;
  }

  /** Checks a login form's token; on success returns the Set-Cookie header of a new session. */
  login(guess: string, req: http.IncomingMessage): string | undefined {
    if (!this.token || !tokenMatches(guess, this.token)) return undefined;
    const now = Date.now();
    for (const [k, until] of this.live) if (until < now) this.live.delete(k);
    if (this.live.size >= MAX_SESSIONS) this.live.delete(this.live.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    this.live.set(digest(id).toString('hex'), now + SESSION_MS);
    return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${isHttps(req) ? '; Secure' : ''}`;
  }

  logout(req: http.IncomingMessage): string {
    const id = cookieValue(req, SESSION_COOKIE);
    if (id) this.live.delete(digest(id).toString('hex'));
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${isHttps(req) ? '; Secure' : ''}`;
  }
}
