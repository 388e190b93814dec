// TLS for pgward's own connections, with libpq's meaning of sslmode (docs/connections.md). node-postgres
// reads sslmode from the URL its own way (require = verify everything unless uselibpqcompat is set), so
// the ssl parameters are taken out of the URL here and turned into Node TLS options the way libpq reads
// them; child programs (pg_dump, pg_restore, psql) are libpq and read the same URL themselves.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { UsageError } from '../errors.js';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** URL parameters that describe TLS: removed from the URL node-postgres sees, read here instead. */
const SSL_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'sslcrl', 'ssl'];

export interface TlsPlan {
  /** The URL without its ssl parameters (what node-postgres is given). */
  url: string;
  mode: SslMode | undefined;
  /** false = plain; an object = TLS with these options. */
  ssl: false | ConnectionOptions;
  /** Plain first/after: prefer falls back to plain when the server has no TLS. */
  fallbackPlain: boolean;
  /** The CA file the server's certificate is checked against, for error messages. */
  rootCert: string | undefined;
  /** Whether the host name is checked (verify-full). */
  checksHost: boolean;
}

function param(u: URL, name: string): string | undefined {
  const v = u.searchParams.get(name);
  return v === null ? undefined : v;
}

function stripSsl(u: URL): string {
  if (!u.search) return u.toString();
  // By hand, like pgtools/exec.ts: URLSearchParams would re-encode the other parameters.
  const kept = u.search
    .slice(1)
    .split('&')
    .filter((pair) => !SSL_PARAMS.includes(decodeURIComponent(pair.split('=')[0] ?? '').toLowerCase()));
  const c = new URL(u.toString());
  c.search = kept.length ? `?${kept.join('&')}` : '';
  return c.toString();
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read the ${what} ${file}: ${(err as Error).message}`,
      `check the ${what === 'root certificate' ? 'sslrootcert' : what === 'client certificate' ? 'sslcert' : 'sslkey'} setting in the database URL (or PGSSL* environment variables)`,
    );
  }
}

function resolveMode(u: URL, env: NodeJS.ProcessEnv): SslMode | undefined {
  const raw = param(u, 'sslmode') ?? env.PGSSLMODE;
  if (raw === undefined || raw === '') return param(u, 'ssl') === 'true' ? 'require' : undefined;
  if (!(MODES as readonly string[]).includes(raw))
    throw new UsageError(
      `invalid sslmode "${raw}" in the database URL`,
      `use one of ${MODES.join(', ')} (libpq's meaning)`,
    );
  return raw as SslMode;
}

/**
 * Reads the URL's TLS settings (and PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY, as libpq does) into
 * Node TLS options with libpq's meaning: require encrypts without checking the certificate (unless a
 * root certificate is given, then it is verify-ca), verify-ca checks the chain but not the host name,
 * verify-full checks both. No sslmode means no TLS for pgward's own connections (libpq would try TLS first).
 */
export function tlsPlan(url: string, env: NodeJS.ProcessEnv = process.env): TlsPlan {
  const u = new URL(url);
  const mode = resolveMode(u, env);
  const plainUrl = stripSsl(u);
  if (!mode || mode === 'disable' || mode === 'allow')
    return { url: plainUrl, mode, ssl: false, fallbackPlain: false, rootCert: undefined, checksHost: false };
  const explicitRoot = param(u, 'sslrootcert') ?? env.PGSSLROOTCERT;
  const defaultRoot = join(env.HOME ?? homedir(), '.postgresql', 'root.crt');
  const rootCert = explicitRoot ?? (existsSync(defaultRoot) ? defaultRoot : undefined);
  const opts: ConnectionOptions = {};
  const cert = param(u, 'sslcert') ?? env.PGSSLCERT;
  const key = param(u, 'sslkey') ?? env.PGSSLKEY;
  if (cert) opts.cert = readPem(cert, 'client certificate');
  if (key) opts.key = readPem(key, 'client key');
  const passphrase = param(u, 'sslpassword');
  if (passphrase) opts.passphrase = passphrase;
  const verify = mode === 'verify-ca' || mode === 'verify-full' || (mode === 'require' && rootCert);
  if (!verify) {
    opts.rejectUnauthorized = false;
    return {
      url: plainUrl,
      mode,
      ssl: opts,
      fallbackPlain: mode === 'prefer',
      rootCert: undefined,
      checksHost: false,
    };
  }
  if (rootCert && rootCert !== 'system') opts.ca = readPem(rootCert, 'root certificate');
  else if (!rootCert)
    throw new UsageError(
      `sslmode=${mode} needs a root certificate and none was given`,
      'add sslrootcert=<CA file> to the database URL (or sslrootcert=system for the system CAs)',
    );
  opts.rejectUnauthorized = true;
  const checksHost = mode === 'verify-full';
  if (!checksHost) opts.checkServerIdentity = () => undefined;
  return { url: plainUrl, mode, ssl: opts, fallbackPlain: false, rootCert, checksHost };
}

/** Node/OpenSSL error codes meaning the certificate chain or the host name did not verify. */
const CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** One line for a TLS failure, or undefined when the error is not about TLS. */
export function describeTlsError(err: unknown, plan: TlsPlan): string | undefined {
  const e = err as { code?: string; message?: string };
  const msg = e.message ?? String(err);
  if (/does not support SSL/i.test(msg))
    return `the server does not accept TLS connections (sslmode=${plan.mode}): enable ssl on the server or lower sslmode`;
  if (!e.code || !CERT_CODES.has(e.code)) return undefined;
  const against = plan.rootCert ? `against ${plan.rootCert}` : 'against the system CAs';
  const hint =
    e.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'check the host name in the URL, or use sslmode=verify-ca to check the chain without the host name'
      : 'check sslrootcert (it must be the CA that signed the server certificate), or use sslmode=require to encrypt without verifying';
  return `the server's certificate did not verify ${against}: ${msg}; ${hint}`;
}
