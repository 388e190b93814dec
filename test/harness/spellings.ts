// Many ways of writing the URL of one database: each must be recognised as that database.
import { hostname } from 'node:os';
import { TEST_PASSWORD, TEST_USER } from './cluster.js';
import type { TestDatabase } from './db.js';

export interface Spelling {
  name: string;
  url: string;
}

const pw = encodeURIComponent(TEST_PASSWORD);

function tcp(db: TestDatabase, host: string, opts: { user?: string; password?: string; tail?: string } = {}) {
  const user = opts.user ?? TEST_USER;
  const pass = opts.password ? encodeURIComponent(opts.password) : pw;
  return `postgresql://${user}:${pass}@${host}:${db.cluster.port}/${db.name}${opts.tail ?? ''}`;
}

/** Spellings of `db`'s URL other than the 127.0.0.1 one the harness gives. */
export function spellings(db: TestDatabase, other?: { user: string; password: string }): Spelling[] {
  const encodedName = db.name.replace(/^t/, '%74');
  const list: Spelling[] = [
    { name: 'localhost', url: tcp(db, 'localhost') },
    { name: `the machine's host name (${hostname()})`, url: tcp(db, hostname()) },
    { name: '127.1', url: tcp(db, '127.1') },
    { name: '0x7f000001', url: tcp(db, '0x7f000001') },
    { name: 'IPv6 loopback [::1]', url: tcp(db, '[::1]') },
    {
      name: '?host= unix socket directory',
      url: `postgresql://${TEST_USER}@localhost/${db.name}?host=${encodeURIComponent(db.cluster.socketDir)}&port=${db.cluster.port}`,
    },
    {
      name: 'port with a leading zero',
      url: `postgresql://${TEST_USER}:${pw}@127.0.0.1:0${db.cluster.port}/${db.name}`,
    },
    {
      name: 'percent-encoded database name',
      url: `postgresql://${TEST_USER}:${pw}@127.0.0.1:${db.cluster.port}/${encodedName}`,
    },
    {
      name: 'trailing parameters',
      url: tcp(db, '127.0.0.1', { tail: '?application_name=x&sslmode=disable' }),
    },
  ];
  if (other) list.push({ name: `another login role (${other.user})`, url: tcp(db, '127.0.0.1', other) });
  return list;
}
