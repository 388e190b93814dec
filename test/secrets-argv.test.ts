// Secrets never reach a child process's argv (visible to every local user through ps and /proc): the
// real pg_dump/pg_restore are wrapped by scripts on PGWARD_PG_BIN that record their argv, then real
// backups, drills and clones run with every URL form that can carry a password.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findPgBinDir } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, runCli } from './harness/project.js';

const work = mkdtempSync(join(tmpdir(), 'pgward-argv-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A bin dir whose pg_dump/pg_restore append their argv (one line per run) to a log, then exec the real one. */
function recordingBinDir(): { dir: string; argv: () => string } {
  const dir = mkdtempSync(join(work, 'bin-'));
  const log = join(dir, 'argv.log');
  const real = findPgBinDir();
  for (const tool of ['pg_dump', 'pg_restore']) {
    const p = join(dir, tool);
    writeFileSync(p, `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${log}'\nexec '${join(real, tool)}' "$@"\n`);
    chmodSync(p, 0o755);
  }
  return { dir, argv: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') };
}

/** A superuser whose password has every character a URL must encode. */
async function awkwardRole(db: TestDatabase): Promise<{ user: string; password: string }> {
  const user = `argv_${randomBytes(4).toString('hex')}`;
  const password = `Pw@${randomBytes(4).toString('hex')}:/?#%& x`;
  await adminQuery(db.cluster.url('postgres'), `CREATE ROLE ${user} LOGIN SUPERUSER PASSWORD '${password}'`);
  return { user, password };
}

function hostPort(db: TestDatabase): { host: string; port: string; name: string } {
  const u = new URL(db.url);
  return { host: u.hostname, port: u.port, name: db.name };
}

/** Every spelling of a secret that could betray it. */
function spellings(secret: string): string[] {
  return [secret, encodeURIComponent(secret), secret.replace(/ /g, '+')];
}

function assertAbsent(haystack: string, secrets: string[], where: string): void {
  for (const s of secrets.flatMap(spellings))
    assert.ok(!haystack.includes(s), `${where} contains a secret (${JSON.stringify(s)}):\n${haystack}`);
}

async function backupAndDrill(url: string, env: Record<string, string>, bin: string) {
  const store = mkdtempSync(join(work, 'store-'));
  const all = { PGWARD_PG_BIN: bin, ...env };
  const create = await runCli(['backup', '--storage', `file://${store}`, 'create', '--url', url], {
    env: all,
  });
  assert.equal(create.code, 0, create.stderr);
  const verify = await runCli(['backup', '--storage', `file://${store}`, 'verify', 'latest', '--url', url], {
    env: all,
  });
  assert.equal(verify.code, 0, verify.stderr);
  return create.stdout + create.stderr + verify.stdout + verify.stderr;
}

test('invariant: no password reaches the argv of pg_dump or pg_restore, whatever URL form carries it', async () => {
  const db = await createTestDatabase();
  await db.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 50)');
  const { user, password } = await awkwardRole(db);
  const { host, port, name } = hostPort(db);
  const keyPass = `KeyPass-${randomBytes(6).toString('hex')}`;
  const enc = encodeURIComponent(password);
  const forms: { form: string; url: string; env?: Record<string, string> }[] = [
    { form: 'user:password@host', url: `postgresql://${user}:${enc}@${host}:${port}/${name}` },
    {
      form: '?password= among other parameters',
      url: `postgresql://${user}@${host}:${port}/${name}?application_name=argv%20check&password=${enc}&connect_timeout=10`,
    },
    {
      form: '?sslpassword= (key passphrase) with ?password=',
      url: `postgres://${user}@${host}:${port}/${name}?sslmode=disable&sslpassword=${keyPass}&password=${enc}`,
    },
    {
      form: 'PGPASSWORD',
      url: `postgresql://${user}@${host}:${port}/${name}`,
      env: { PGPASSWORD: password },
    },
  ];
  for (const f of forms) {
    const bin = recordingBinDir();
    const output = await backupAndDrill(f.url, f.env ?? {}, bin.dir);
    const argv = bin.argv();
    assert.match(argv, /^pg_dump .*--dbname=/m, `${f.form}: pg_dump ran through the wrapper`);
    assert.match(argv, /^pg_restore /m, `${f.form}: pg_restore ran through the wrapper`);
    assertAbsent(argv, [password, keyPass], `${f.form}: child argv`);
    if (f.url.includes('argv%20check'))
      assert.match(
        argv,
        /application_name=argv%20check&connect_timeout=10/,
        'other parameters reach the child as written',
      );
    assertAbsent(output, [password, keyPass], `${f.form}: pgward output`);
  }
});

test('invariant: clone passes no password in its children argv (source and target)', async () => {
  const src = await createTestDatabase();
  await src.query(
    'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 50) g',
  );
  const dst = await createTestDatabase();
  const { user, password } = await awkwardRole(src);
  const s = hostPort(src);
  const d = hostPort(dst);
  const enc = encodeURIComponent(password);
  const dir = makeProject({
    'pgward.yaml': `environments:
  production:
    url: "postgresql://${user}:${enc}@${s.host}:${s.port}/${s.name}"
  staging:
    url: "postgresql://${user}@${d.host}:${d.port}/${d.name}?password=${enc}"
`,
  });
  const bin = recordingBinDir();
  const r = await runCli(['clone', '--from', 'production', '--to', 'staging'], {
    cwd: dir,
    env: { PGWARD_PG_BIN: bin.dir },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await dst.query('SELECT count(*)::int AS n FROM t'))[0]?.n, 50);
  const argv = bin.argv();
  assert.match(argv, /^pg_dump /m);
  assertAbsent(argv, [password], 'clone child argv');
  assertAbsent(r.stdout + r.stderr, [password], 'clone output');
});

test('invariant: a URL with a user but no password, to a server that wants one, fails with one clear line', async () => {
  const db = await createTestDatabase();
  const { host, port, name } = hostPort(db);
  const url = `postgresql://pgward_test@${host}:${port}/${name}`;
  for (const args of [
    ['status', '--url', url],
    ['doctor', '--url', url],
    ['backup', '--storage', `file://${work}/nowhere`, 'create', '--url', url],
  ]) {
    const r = await runCli(args, { env: { PGPASSWORD: undefined, PGPASSFILE: join(work, 'none') } });
    assert.notEqual(r.code, 0, JSON.stringify(r));
    const said = r.stdout + r.stderr; // doctor reports it as its connectivity check, on stdout
    assert.match(
      said,
      /the server asked for a password and none was given: add it to the URL, PGPASSWORD or ~\/\.pgpass/,
      JSON.stringify(r),
    );
    assert.doesNotMatch(said, /SASL|SCRAM|client password must be/);
    assert.doesNotMatch(said, /^\s+at /m, 'no stack trace');
  }
});
