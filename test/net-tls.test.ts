// TLS with libpq's sslmode meanings, for pgward's own connections and for pg_dump/pg_restore/psql, against
// a server that accepts TLS only (test/harness/tls.ts): require, verify-ca, verify-full with sslrootcert.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConnectionOptions } from 'node:tls';
import { connect } from '../src/db/connect.js';
import { type TlsPlan, tlsPlan } from '../src/db/tls.js';
import { tempDir } from './harness/backup.js';
import { adminQuery } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';
import { socketUrl, startTlsCluster, type TlsCluster, tlsUrl } from './harness/tls.js';

let tls: TlsCluster;
before(async () => {
  tls = await startTlsCluster();
  for (const db of ['app', 'app0', 'app1', 'app2', 'clone0', 'clone1', 'clone2'])
    await adminQuery(socketUrl(tls.cluster), `CREATE DATABASE ${db}`);
  for (const db of ['app0', 'app1', 'app2'])
    await adminQuery(
      socketUrl(tls.cluster, db),
      'CREATE TABLE things (id int PRIMARY KEY, v text); INSERT INTO things SELECT g, md5(g::text) FROM generate_series(1, 200) g',
    );
});
after(() => tls?.stop());

const oneLine = (s: string) => s.trim().split('\n')[0] ?? '';

describe('TLS', () => {
  it('pgward connects with require, verify-ca and verify-full as libpq means them; plain is refused by the server', async () => {
    const ssl = async (url: string) => {
      const c = await connect(url);
      try {
        return (await c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'))
          .rows[0]?.ssl;
      } finally {
        await c.end();
      }
    };
    // require: encrypted, certificate not checked (the other CA is not given).
    assert.equal(await ssl(tlsUrl(tls.cluster, 'app', 'sslmode=require')), true);
    assert.equal(await ssl(tlsUrl(tls.cluster, 'app', `sslmode=verify-ca&sslrootcert=${tls.ca}`)), true);
    assert.equal(await ssl(tlsUrl(tls.cluster, 'app', `sslmode=verify-full&sslrootcert=${tls.ca}`)), true);
    assert.equal(
      await ssl(tlsUrl(tls.cluster, 'app', `sslmode=verify-full&sslrootcert=${tls.ca}`, 'localhost')),
      true,
    );
    // verify-ca checks the chain, not the host: ::1 is not in the certificate.
    assert.equal(
      await ssl(tlsUrl(tls.cluster, 'app', `sslmode=verify-ca&sslrootcert=${tls.ca}`, '[::1]')),
      true,
    );
    await assert.rejects(connect(tlsUrl(tls.cluster, 'app', 'sslmode=disable')), /no encryption|pg_hba/);
  });

  it('a certificate that does not verify is one clear line naming the CA file (wrong CA; wrong host under verify-full)', async () => {
    const wrongCa = await runCli(
      ['status', '--url', tlsUrl(tls.cluster, 'app', `sslmode=verify-ca&sslrootcert=${tls.otherCa}`)],
      {
        cwd: makeProject({ 'db/migrations/.keep': '' }),
      },
    );
    assert.notEqual(wrongCa.code, 0);
    assert.match(
      oneLine(wrongCa.stderr),
      new RegExp(`the server's certificate did not verify against ${tls.otherCa}: .*check sslrootcert`),
    );
    assert.doesNotMatch(wrongCa.stderr, /\n\s+at /, 'no stack trace');
    const wrongHost = await runCli(
      ['status', '--url', tlsUrl(tls.cluster, 'app', `sslmode=verify-full&sslrootcert=${tls.ca}`, '[::1]')],
      {
        cwd: makeProject({ 'db/migrations/.keep': '' }),
      },
    );
    assert.notEqual(wrongHost.code, 0);
    assert.match(oneLine(wrongHost.stderr), /did not verify against .*ca\.crt: .*sslmode=verify-ca/);
    assert.doesNotMatch(wrongHost.stderr + wrongHost.stdout, /pgw-Secr3t/);
  });

  const modes = ['sslmode=require', 'sslmode=verify-ca&sslrootcert=CA', 'sslmode=verify-full&sslrootcert=CA'];
  for (const [i, params] of modes.entries()) {
    it(`migrate, status, doctor, backup create + verify (drill), clone over TLS: ${params.replace('CA', '<ca>')}`, async () => {
      const p = params.replace('CA', tls.ca);
      const url = tlsUrl(tls.cluster, `app${i}`, p);
      const dir = makeProject({
        'db/migrations/20240101000000_add.sql': migration('CREATE TABLE more (id int);', 'DROP TABLE more;'),
      });
      const m = await runCli(['migrate', '--url', url], { cwd: dir });
      assert.equal(m.code, 0, m.stderr);
      const s = await runCli(['status', '--url', url], { cwd: dir });
      assert.equal(s.code, 0, s.stderr);
      const d = await runCli(['doctor', '--url', url, '--no-backups', '--json'], { cwd: dir });
      assert.ok(d.code === 0 || d.code === 1, d.stderr);
      JSON.parse(d.stdout);
      const store = tempDir('pgward-tls-bk-');
      try {
        const c = await runCli(['backup', '--storage', store.url, 'create', '--url', url, '--json'], {
          cwd: dir,
        });
        assert.equal(c.code, 0, c.stderr);
        const id = JSON.parse(c.stdout).id as string;
        const v = await runCli(['backup', '--storage', store.url, 'verify', id, '--url', url, '--json'], {
          cwd: dir,
        });
        assert.equal(v.code, 0, v.stderr + v.stdout);
        assert.equal(JSON.parse(v.stdout).checks.drill, true);
      } finally {
        store.cleanup();
      }
      const to = tlsUrl(tls.cluster, `clone${i}`, p);
      const cl = await runCli(['clone', '--from', url, '--to', to, '--clean', '--json'], { cwd: dir });
      assert.equal(cl.code, 0, cl.stderr);
      assert.equal(JSON.parse(cl.stdout).ok, true);
      for (const r of [m, s, d, cl]) assert.doesNotMatch(r.stdout + r.stderr, /pgw-Secr3t/);
    });
  }
});

describe('tlsPlan: libpq sslmode meanings', () => {
  const base = 'postgresql://u:pw@db.example.com:5432/app';
  const o = (p: TlsPlan): ConnectionOptions => (p.ssl === false ? {} : p.ssl);
  it('maps each sslmode, honours PGSSLMODE/PGSSLROOTCERT, and refuses verify modes without a root certificate', () => {
    const none = tlsPlan(base, {});
    assert.equal(none.ssl, false);
    const req = tlsPlan(`${base}?sslmode=require`, {});
    assert.equal(o(req).rejectUnauthorized, false, 'require does not check the certificate');
    assert.equal(req.url, base, 'ssl parameters are not handed to node-postgres');
    const reqCa = tlsPlan(`${base}?sslmode=require&sslrootcert=${tls.ca}`, {});
    assert.ok(
      reqCa.ssl && reqCa.ssl.rejectUnauthorized === true && reqCa.ssl.checkServerIdentity,
      'require + root cert = verify-ca',
    );
    const ca = tlsPlan(`${base}?sslmode=verify-ca&sslrootcert=${tls.ca}`, {});
    assert.equal(ca.checksHost, false);
    assert.ok(o(ca).ca && o(ca).checkServerIdentity);
    const full = tlsPlan(`${base}?sslmode=verify-full&sslrootcert=${tls.ca}`, {});
    assert.equal(full.checksHost, true);
    assert.ok(o(full).ca && !o(full).checkServerIdentity);
    const fromEnv = tlsPlan(base, { PGSSLMODE: 'verify-full', PGSSLROOTCERT: tls.ca });
    assert.equal(fromEnv.mode, 'verify-full');
    assert.equal(fromEnv.rootCert, tls.ca);
    const prefer = tlsPlan(`${base}?sslmode=prefer`, {});
    assert.equal(prefer.fallbackPlain, true);
    assert.throws(
      () => tlsPlan(`${base}?sslmode=verify-full`, { HOME: '/nonexistent' }),
      /needs a root certificate.*|sslrootcert/,
    );
    assert.throws(() => tlsPlan(`${base}?sslmode=requir`, {}), /invalid sslmode "requir"/);
    assert.throws(
      () => tlsPlan(`${base}?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem`, {}),
      /cannot read the root certificate \/nonexistent\/ca\.pem/,
    );
  });
});
