// What pgward reads must be what the author wrote: strict UTF-8, exact section markers, no empty up
// section, and one version per file from `pgward new`, even under concurrency or a clock running behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newMigration } from '../src/migrate/scaffold.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { CLI, cliEnv, makeProject, migration, runCli } from './harness/project.js';

const CONFIG = 'environments:\n  staging:\n    url: ${DB_URL}\n';

function projectWith(file: string, content: string | Buffer) {
  const dir = makeProject({
    'pgward.yaml': CONFIG,
    'db/migrations/001_ok.sql': migration('CREATE TABLE ok (id int);'),
  });
  writeFileSync(join(dir, 'db/migrations', file), content);
  return dir;
}

async function nothingApplied(db: TestDatabase) {
  const rows = await db.query(
    "SELECT to_regclass('ok') AS ok, to_regclass('bad') AS bad, to_regclass('pgward.migrations') AS hist",
  );
  const hist = rows[0]!.hist
    ? await db.query('SELECT count(*)::int AS n FROM pgward.migrations')
    : [{ n: 0 }];
  assert.deepEqual(
    { ...rows[0], n: hist[0]!.n, hist: undefined },
    { ok: null, bad: null, n: 0, hist: undefined },
  );
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');
// [description, bytes, line of the first invalid byte]
const NOT_UTF8: [string, Buffer, number][] = [
  [
    'latin-1 é in a comment',
    latin1("-- migrate:up\nCREATE TABLE bad (id int);\nCOMMENT ON TABLE bad IS 'caf\xe9';\n"),
    3,
  ],
  [
    'an invalid byte on the first line',
    Buffer.concat([Buffer.from([0xff]), Buffer.from('-- migrate:up\nSELECT 1;\n')]),
    1,
  ],
  [
    'an overlong encoding of "/"',
    Buffer.concat([
      Buffer.from("-- migrate:up\n\n\nSELECT '"),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from("';\n"),
    ]),
    4,
  ],
  [
    'a UTF-16 surrogate',
    Buffer.concat([
      Buffer.from("-- migrate:up\nSELECT '"),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from("';\n"),
    ]),
    2,
  ],
  [
    'a sequence cut off at the end',
    Buffer.concat([Buffer.from('-- migrate:up\nSELECT 1;\n-- €'), Buffer.from([0xe2, 0x82])]),
    3,
  ],
  [
    'a lone continuation byte after valid text',
    Buffer.concat([
      Buffer.from("-- migrate:up\n-- naïve ✓\n\nSELECT '"),
      Buffer.from([0x80]),
      Buffer.from("';\n"),
    ]),
    4,
  ],
];

test('invariant: a migration file that is not valid UTF-8 is refused by migrate, status, plan and lint, naming the line of its first invalid byte', async () => {
  const db = await createTestDatabase();
  const env = { DB_URL: db.url };
  for (const [what, bytes, line] of NOT_UTF8) {
    const dir = projectWith('002_bad.sql', bytes);
    const where = new RegExp(`db/migrations/002_bad\\.sql:${line}: not valid UTF-8`);
    for (const args of [
      ['migrate', '--env', 'staging'],
      ['status', '--env', 'staging'],
      ['plan', '--env', 'staging'],
      ['lint'],
      ['lint', 'db/migrations/002_bad.sql'],
    ]) {
      const r = await runCli(args, { cwd: dir, env });
      assert.equal(r.code, 2, `${what}, ${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, where, `${what}, ${args[0]}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'one clear line, no stack trace');
    }
    await nothingApplied(db);
  }
  // any .sql file lint reads, not only migrations
  const plain = makeProject({});
  writeFileSync(join(plain, 'script.sql'), latin1("SELECT 1;\nSELECT '\xe9';\n"));
  const r = await runCli(['lint', 'script.sql'], { cwd: plain });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /script\.sql:2: not valid UTF-8/);
});

test('invariant: valid UTF-8, with or without a byte-order mark, is read exactly', async () => {
  const db = await createTestDatabase();
  const env = { DB_URL: db.url };
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const dir = projectWith(
    '002_bom.sql',
    Buffer.concat([
      bom,
      Buffer.from("-- migrate:up\nCREATE TABLE bom (v text);\nINSERT INTO bom VALUES ('café ✓ 😀');\n"),
    ]),
  );
  writeFileSync(
    join(dir, 'db/migrations/003_nomarker.sql'),
    Buffer.concat([bom, Buffer.from('CREATE TABLE nomarker (id int);\n')]),
  );
  const r = await runCli(['migrate', '--env', 'staging'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  const rows = await db.query("SELECT v, to_regclass('nomarker') AS t FROM bom");
  assert.deepEqual(rows[0], { v: 'café ✓ 😀', t: 'nomarker' });
  assert.equal((await runCli(['status', '--env', 'staging'], { cwd: dir, env })).code, 0);
});

// [marker as written, the exact marker pgward expects]
const NEAR_MISSES: [string, string][] = [
  ['-- migrate up', '-- migrate:up'],
  ['--migrate:up', '-- migrate:up'],
  ['-- migrate:UP', '-- migrate:up'],
  ['-- migrate: up', '-- migrate:up'],
  ['-- migrations:up', '-- migrate:up'],
  ['--  migrate:up', '-- migrate:up'],
  ['-- Migrate:Up', '-- migrate:up'],
  ['-- migrate_up', '-- migrate:up'],
  ['-- +migrate Up', '-- migrate:up'],
  ['-- migration:up', '-- migrate:up'],
  ['-- migrate:Down', '-- migrate:down'],
  ['--migrate:down', '-- migrate:down'],
  ['-- migrate down', '-- migrate:down'],
  ['-- pgward: no-transaction', '-- pgward:no-transaction'],
  ['-- pgward:notransaction', '-- pgward:no-transaction'],
];

test('invariant: a near-miss section marker is an error naming file:line and the exact marker, never a whole-file up section', async () => {
  const db = await createTestDatabase();
  const env = { DB_URL: db.url };
  for (const [written, expected] of NEAR_MISSES) {
    const isDown = expected === '-- migrate:down';
    const upMarker = isDown ? '-- migrate:up' : written;
    const downMarker = isDown ? written : '-- migrate:down';
    // line 1: a comment; the near-miss marker is on line 2 (up) or line 4 (down)
    const content = expected.startsWith('-- pgward')
      ? `-- creates bad\n${written}\n-- migrate:up\nCREATE TABLE bad (id int);\n`
      : `-- creates bad\n${upMarker}\nCREATE TABLE bad (id int);\n${downMarker}\nDROP TABLE ok;\n`;
    const line = expected.startsWith('-- pgward') || !isDown ? 2 : 4;
    const dir = projectWith('002_bad.sql', content);
    for (const args of [['migrate', '--env', 'staging'], ['status', '--env', 'staging'], ['lint']]) {
      const r = await runCli(args, { cwd: dir, env });
      assert.equal(r.code, 2, `${written} / ${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`002_bad\\.sql:${line}: `), `${written} / ${args[0]}`);
      assert.ok(
        r.stderr.includes(`"${expected}"`),
        `${written} / ${args[0]} names the exact marker: ${r.stderr}`,
      );
    }
    await nothingApplied(db);
  }
  // the exact markers, with dbmate's options, still work
  const dir = projectWith(
    '002_ok.sql',
    '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY ok_id ON ok (id);\n-- migrate:down\nDROP INDEX CONCURRENTLY ok_id;\n',
  );
  const ok = await runCli(['migrate', '--env', 'staging'], { cwd: dir, env });
  assert.equal(ok.code, 0, ok.stderr);
});

const EMPTY_UPS: [string, string, number][] = [
  ['comments only', '-- migrate:up\n-- TODO\n\n-- migrate:down\nDROP TABLE ok;\n', 1],
  ['whitespace after a leading comment', '-- adds nothing\n\n-- migrate:up\n   \n\t\n-- migrate:down\n', 3],
  ['a block comment and a stray semicolon', '-- migrate:up\n/* later */ ;\n-- migrate:down\n', 1],
  ['an empty file', '', 1],
];

test('invariant: a migration whose up section is empty is refused with file:line and nothing runs', async () => {
  const db = await createTestDatabase();
  const env = { DB_URL: db.url };
  for (const [what, content, line] of EMPTY_UPS) {
    const dir = projectWith('002_empty.sql', content);
    for (const args of [
      ['migrate', '--env', 'staging'],
      ['migrate', '--env', 'staging', '--dry-run'],
      ['plan', '--env', 'staging'],
    ]) {
      const r = await runCli(args, { cwd: dir, env });
      assert.equal(r.code, 2, `${what} / ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`002_empty\\.sql:${line}: the up section is empty`), what);
    }
    await nothingApplied(db);
  }
});

test('invariant: pgward new gives every file a version greater than every existing one, never a shared one', async () => {
  // same second, twice
  const dir = mkdtempSync(join(tmpdir(), 'pgward-new-'));
  const now = new Date('2030-01-02T03:04:05Z');
  const a = newMigration(dir, 'first', now);
  const b = newMigration(dir, 'second', now);
  const c = newMigration(dir, 'first', now);
  const versions = [a, b, c].map((p) => p.split('/').pop()!.split('_')[0]!);
  assert.deepEqual(versions, ['20300102030405', '20300102030406', '20300102030407']);
  // a clock behind the newest existing version (a teammate's, or non-timestamp versions)
  writeFileSync(join(dir, '20991231235959_future.sql'), migration('SELECT 1;'));
  const behind = newMigration(dir, 'late', now);
  assert.match(behind, /\/20991231235960_late\.sql$/);
  assert.ok(BigInt(behind.split('/').pop()!.split('_')[0]!) > 20991231235959n);
  assert.match(readFileSync(behind, 'utf8'), /-- migrate:up/);

  // concurrent processes, same or different names
  const proj = makeProject({ 'db/migrations/20240101000000_base.sql': migration('SELECT 1;') });
  const runs = Array.from(
    { length: 6 },
    (_, i) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'new', i % 2 ? 'same' : `name_${i}`], {
          cwd: proj,
          env: cliEnv(),
          stdio: 'ignore',
        });
        child.on('close', resolve);
      }),
  );
  assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0, 0, 0]);
  const files = readdirSync(join(proj, 'db/migrations')).filter((f) => f.endsWith('.sql'));
  assert.equal(files.length, 7, files.join(' '));
  const all = files.map((f) => f.split('_')[0]!);
  assert.equal(new Set(all).size, 7, `versions collide: ${files.join(' ')}`);
  assert.deepEqual(
    readdirSync(join(proj, 'db/migrations')).filter((f) => !f.endsWith('.sql')),
    [],
    'no reservation left behind',
  );
  const s = await runCli(['status', '--json'], {
    cwd: proj,
    env: { DATABASE_URL: (await createTestDatabase()).url },
  });
  assert.equal(s.code, 3, s.stderr.includes('share version') ? s.stderr : '');
});
