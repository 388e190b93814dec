// Read-only framework adapters: each framework gets a small sample project in its own layout, and its
// tracking table filled the way that framework fills it, on real PostgreSQL. Every status call runs on a
// session with default_transaction_read_only = on, so an adapter that wrote anything would fail here.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type pg from 'pg';
import { connect } from '../src/db/connect.js';
import { ADAPTERS, detectFramework } from '../src/frameworks/index.js';
import type { ForeignStatus } from '../src/frameworks/types.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';

interface Ctx {
  db: TestDatabase;
  client: pg.Client;
}

/** A fresh database and a read-only client on it, closed when the test ends. */
async function open(t: { after: (fn: () => Promise<void>) => void }): Promise<Ctx> {
  const db = await createTestDatabase();
  const client = await connect(db.url);
  await client.query('SET default_transaction_read_only = on');
  t.after(() => client.end());
  return { db, client };
}

/** Writes `files` (relative path → content) into a new temp dir and returns the dir. */
function project(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-fw-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

/** The part of a status the tests pin down exactly: version, name and state, in order. */
function states(s: ForeignStatus): [string, string, string][] {
  return s.entries.map((e) => [e.version, e.name, e.state]);
}

function pending(s: ForeignStatus): string[] {
  return s.entries.filter((e) => e.state === 'pending' || e.state === 'out-of-order').map((e) => e.version);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

test('dbmate: applied, out-of-order, missing and pending by version; missing table = all pending', async (t) => {
  const { db, client } = await open(t);
  const dir = project(t, {
    '20240101000000_create_users.sql': '-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\n',
    '20240102000000_add_email.sql': '-- migrate:up\nSELECT 1;\n',
    '20240103000000_add_index.sql': '-- migrate:up\nSELECT 1;\n',
    '20240105000000_add_posts.sql': '-- migrate:up\nSELECT 1;\n',
    'readme.sql': '-- not a migration',
    'notes.txt': 'not sql, not reported',
  });
  const fresh = await ADAPTERS.dbmate.status(client, dir);
  assert.equal(fresh.trackingTable, 'schema_migrations');
  assert.deepEqual(pending(fresh), ['20240101000000', '20240102000000', '20240103000000', '20240105000000']);
  assert.ok(fresh.entries.every((e) => e.state === 'pending'));

  await db.query('CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY)');
  await db.query(
    "INSERT INTO schema_migrations VALUES ('20240101000000'), ('20240103000000'), ('20240104000000')",
  );
  const s = await ADAPTERS.dbmate.status(client, dir);
  assert.deepEqual(states(s), [
    ['20240101000000', 'create_users', 'applied'],
    ['20240102000000', 'add_email', 'out-of-order'],
    ['20240103000000', 'add_index', 'applied'],
    ['20240104000000', '', 'missing'],
    ['20240105000000', 'add_posts', 'pending'],
  ]);
  assert.deepEqual(s.ignoredFiles, ['readme.sql']);
  assert.equal(s.entries[1]!.file, '20240102000000_add_email.sql');
  assert.equal(s.entries[3]!.file, undefined);
});

test('dbmate: a schema-qualified table override is quoted and read', async (t) => {
  const { db, client } = await open(t);
  const dir = project(t, { '1_a.sql': '', '2_b.sql': '' });
  await db.query('CREATE SCHEMA "odd schema"');
  await db.query('CREATE TABLE "odd schema"."My""Table" (version varchar(255) PRIMARY KEY)');
  await db.query(`INSERT INTO "odd schema"."My""Table" VALUES ('1')`);
  const s = await ADAPTERS.dbmate.status(client, dir, 'odd schema.My"Table');
  assert.equal(s.trackingTable, 'odd schema.My"Table');
  assert.deepEqual(states(s), [
    ['1', 'a', 'applied'],
    ['2', 'b', 'pending'],
  ]);
  assert.equal(await ADAPTERS.dbmate.detectDatabase(client, 'odd schema.My"Table'), true);
  assert.equal(await ADAPTERS.dbmate.detectDatabase(client), false);
});

test('rails: versions compared as integers, engine-scoped files, missing and out-of-order', async (t) => {
  const { db, client } = await open(t);
  const dir = project(t, {
    '20240101000000_create_users.rb': 'class CreateUsers < ActiveRecord::Migration[7.1]; end',
    '20240102000000_add_email_to_users.rb': '',
    '20240103000000_add_index.rb': '',
    '20240104000000_add_posts.blog.rb': '',
    'README.rb': '',
  });
  assert.deepEqual(
    states(await ADAPTERS.rails.status(client, dir)).map((e) => e[2]),
    ['pending', 'pending', 'pending', 'pending'],
  );
  await db.query('CREATE TABLE schema_migrations (version varchar NOT NULL PRIMARY KEY)');
  await db.query(
    'CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar, created_at timestamp, updated_at timestamp)',
  );
  await db.query(
    "INSERT INTO schema_migrations VALUES ('20240101000000'), ('20240103000000'), ('20231231000000')",
  );
  const s = await ADAPTERS.rails.status(client, dir);
  assert.deepEqual(states(s), [
    ['20231231000000', '', 'missing'],
    ['20240101000000', 'create_users', 'applied'],
    ['20240102000000', 'add_email_to_users', 'out-of-order'],
    ['20240103000000', 'add_index', 'applied'],
    ['20240104000000', 'add_posts.blog', 'pending'],
  ]);
  assert.deepEqual(s.ignoredFiles, ['README.rb']);

  // Rails reads versions as integers: a zero-padded file matches the unpadded row.
  await db.query("INSERT INTO schema_migrations VALUES ('42')");
  const padded = await ADAPTERS.rails.status(client, project(t, { '0042_legacy.rb': '' }));
  assert.deepEqual(states(padded)[0], ['0042', 'legacy', 'applied']);
});

test('golang-migrate: one stored version, dirty = failed, unknown stored version = missing', async (t) => {
  const { db, client } = await open(t);
  const dir = project(t, {
    '1_init.up.sql': 'CREATE TABLE a (id int);',
    '1_init.down.sql': 'DROP TABLE a;',
    '2_users.up.sql': '',
    '2_users.down.sql': '',
    '3_posts.up.sql': '',
    '10_tags.up.sql': '',
    'seed.sql': '',
  });
  const fresh = await ADAPTERS['golang-migrate'].status(client, dir);
  assert.deepEqual(pending(fresh), ['1', '2', '3', '10']);
  assert.deepEqual(fresh.ignoredFiles, ['seed.sql']);

  await db.query(
    'CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)',
  );
  await db.query('INSERT INTO schema_migrations VALUES (2, false)');
  assert.deepEqual(states(await ADAPTERS['golang-migrate'].status(client, dir)), [
    ['1', 'init', 'applied'],
    ['2', 'users', 'applied'],
    ['3', 'posts', 'pending'],
    ['10', 'tags', 'pending'],
  ]);

  await db.query('UPDATE schema_migrations SET version = 3, dirty = true');
  const dirty = await ADAPTERS['golang-migrate'].status(client, dir);
  assert.deepEqual(states(dirty), [
    ['1', 'init', 'applied'],
    ['2', 'users', 'applied'],
    ['3', 'posts', 'failed'],
    ['10', 'tags', 'pending'],
  ]);
  assert.match(dirty.entries[2]!.note ?? '', /migrate force 3/);

  await db.query('UPDATE schema_migrations SET version = 7, dirty = false');
  assert.deepEqual(states(await ADAPTERS['golang-migrate'].status(client, dir)), [
    ['1', 'init', 'applied'],
    ['2', 'users', 'applied'],
    ['3', 'posts', 'applied'],
    ['7', '', 'missing'],
    ['10', 'tags', 'pending'],
  ]);
});

// Revision ids are chosen so that file-name order differs from chain order.
const ALEMBIC = {
  'alembic.ini': '[alembic]\n',
  'alembic/env.py': 'from alembic import context\n',
  'alembic/versions/__init__.py': '',
  'alembic/versions/helpers.py': 'def util():\n    return "revision"\n',
  'alembic/versions/ff01_base.py':
    '"""base"""\nrevision = "ff01"\ndown_revision = None\nbranch_labels = None\n\ndef upgrade():\n    pass\n',
  'alembic/versions/ee02_users.py':
    'from typing import Sequence, Union\nrevision: str = "ee02"\ndown_revision: Union[str, None] = "ff01"\n',
  'alembic/versions/dd03_branch_x.py': "revision = 'dd03'\ndown_revision = 'ee02'  # branch x\n",
  'alembic/versions/cc04_branch_y.py': "revision = 'cc04'\ndown_revision = 'ee02'\n",
  'alembic/versions/bb05_merge.py':
    'revision: str = "bb05"\ndown_revision: Union[str, Sequence[str], None] = (\n    "dd03",\n    "cc04",\n)\n',
  'alembic/versions/aa06_after_merge.py': 'revision = "aa06"\ndown_revision = "bb05"\n',
};

test('alembic: walks down_revision (strings, annotations, merge tuples) from the stored heads', async (t) => {
  const { db, client } = await open(t);
  const root = project(t, ALEMBIC);
  const dir = join(root, 'alembic');
  const fresh = await ADAPTERS.alembic.status(client, dir);
  // Chain order, base first; the two branches in file-name order (cc04 before dd03).
  assert.deepEqual(pending(fresh), ['ff01', 'ee02', 'cc04', 'dd03', 'bb05', 'aa06']);
  assert.deepEqual(fresh.ignoredFiles, ['helpers.py']);

  await db.query('CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)');
  await db.query("INSERT INTO alembic_version VALUES ('dd03')");
  assert.deepEqual(states(await ADAPTERS.alembic.status(client, dir)), [
    ['ff01', 'base', 'applied'],
    ['ee02', 'users', 'applied'],
    ['cc04', 'branch_y', 'pending'],
    ['dd03', 'branch_x', 'applied'],
    ['bb05', 'merge', 'pending'],
    ['aa06', 'after_merge', 'pending'],
  ]);

  // Two heads: both branches applied, the merge still pending. The versions/ dir itself works too.
  await db.query("INSERT INTO alembic_version VALUES ('cc04')");
  const two = await ADAPTERS.alembic.status(client, join(dir, 'versions'));
  assert.deepEqual(pending(two), ['bb05', 'aa06']);

  await db.query('DELETE FROM alembic_version');
  await db.query("INSERT INTO alembic_version VALUES ('aa06'), ('9999')");
  const s = await ADAPTERS.alembic.status(client, dir);
  assert.deepEqual(
    states(s).map((e) => `${e[0]}:${e[2]}`),
    [
      'ff01:applied',
      'ee02:applied',
      'cc04:applied',
      'dd03:applied',
      'bb05:applied',
      'aa06:applied',
      '9999:missing',
    ],
  );
  assert.equal(s.entries[0]!.file, 'ff01_base.py');
});

test('prisma: applied, drifted (checksum), failed, rolled back = pending, missing; CRLF is not drift', async (t) => {
  const { db, client } = await open(t);
  const init = 'CREATE TABLE "User" (id int);\n';
  const users = 'ALTER TABLE "User" ADD email text;\n';
  const dir = join(
    project(t, {
      'prisma/schema.prisma': 'datasource db { provider = "postgresql" }',
      'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
      // Checked out with CRLF; the recorded checksum is of the LF text.
      'prisma/migrations/20240101000000_init/migration.sql': init.replace(/\n/g, '\r\n'),
      'prisma/migrations/20240102000000_users/migration.sql': `${users}-- edited after deploy\n`,
      'prisma/migrations/20240103000000_posts/migration.sql': 'CREATE TABLE post (id int);\n',
      'prisma/migrations/20240104000000_tags/migration.sql': 'CREATE TABLE tag (id int);\n',
      'prisma/migrations/20240105000000_likes/migration.sql': 'CREATE TABLE liked (id int);\n',
      'prisma/migrations/notes/readme.md': 'a folder without migration.sql',
    }),
    'prisma',
    'migrations',
  );
  assert.deepEqual((await ADAPTERS.prisma.status(client, dir)).entries.length, 5);
  assert.deepEqual(pending(await ADAPTERS.prisma.status(client, dir)).length, 5);

  await db.query(`CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
  const insert = (id: string, name: string, sum: string, finished: boolean, rolledBack: boolean) =>
    db.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at, rolled_back_at)
       VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END, CASE WHEN $5 THEN now() END)`,
      [id, sum, name, finished, rolledBack],
    );
  await insert('1', '20231201000000_gone', sha256('x'), true, false);
  await insert('2', '20240101000000_init', sha256(init), true, false);
  await insert('3', '20240102000000_users', sha256(users), true, false);
  await insert('4', '20240103000000_posts', sha256('CREATE TABLE post (id int);\n'), false, false);
  await insert('5', '20240104000000_tags', sha256('CREATE TABLE tag (id int);\n'), false, true);
  const s = await ADAPTERS.prisma.status(client, dir);
  assert.deepEqual(states(s), [
    ['20231201000000', 'gone', 'missing'],
    ['20240101000000', 'init', 'applied'],
    ['20240102000000', 'users', 'drifted'],
    ['20240103000000', 'posts', 'failed'],
    ['20240104000000', 'tags', 'pending'],
    ['20240105000000', 'likes', 'pending'],
  ]);
  assert.deepEqual(s.ignoredFiles, ['notes']);
  assert.equal(s.entries[1]!.file, '20240101000000_init/migration.sql');
  assert.ok(s.entries[1]!.appliedAt);
});

const FLYWAY_HISTORY = `CREATE TABLE flyway_schema_history (
  installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
  type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INTEGER,
  installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(),
  execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL)`;

const FLYWAY_FILES = {
  'V1__init.sql': 'CREATE TABLE a (id int);',
  'V1_1__add_users.sql': '',
  'V1.2__add_email.sql': '',
  'V2__posts.sql': '',
  'V10__tags.sql': '',
  'R__views.sql': 'CREATE OR REPLACE VIEW v AS SELECT 1;',
  'U2__undo_posts.sql': '',
  'notes.sql': '',
  'sub/V3__nested.sql': '',
};

test('flyway: numeric dotted versions, failed, missing, out-of-order; repeatables ignored', async (t) => {
  const { db, client } = await open(t);
  const dir = project(t, FLYWAY_FILES);
  const fresh = await ADAPTERS.flyway.status(client, dir);
  assert.deepEqual(pending(fresh), ['1', '1.1', '1.2', '2', '3', '10']);

  await db.query(FLYWAY_HISTORY);
  const row = (rank: number, version: string | null, desc: string, type: string, success: boolean) =>
    db.query(
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by,
         execution_time, success) VALUES ($1, $2, $3, $4, 'x.sql', 'deploy', 12, $5)`,
      [rank, version, desc, type, success],
    );
  await row(1, '1', 'init', 'SQL', true);
  await row(2, '1.1', 'add users', 'SQL', true);
  await row(3, '2', 'posts', 'SQL', true);
  await row(4, null, 'views', 'SQL', true);
  await row(5, '3', 'nested', 'SQL', false);
  await row(6, '4', 'gone', 'SQL', true);
  const s = await ADAPTERS.flyway.status(client, dir);
  assert.deepEqual(states(s), [
    ['1', 'init', 'applied'],
    ['1.1', 'add users', 'applied'],
    ['1.2', 'add email', 'out-of-order'],
    ['2', 'posts', 'applied'],
    ['3', 'nested', 'failed'],
    ['4', 'gone', 'missing'],
    ['10', 'tags', 'pending'],
  ]);
  assert.deepEqual(s.ignoredFiles, ['R__views.sql', 'U2__undo_posts.sql', 'notes.sql']);
  assert.equal(s.entries[4]!.file, join('sub', 'V3__nested.sql'));
  assert.equal(s.entries[0]!.appliedBy, 'deploy');
  assert.equal(s.entries[0]!.durationMs, 12);
});

test('flyway: versions at or below a baseline are not pending', async (t) => {
  const { db, client } = await open(t);
  const dir = project(t, FLYWAY_FILES);
  await db.query(FLYWAY_HISTORY);
  await db.query(`INSERT INTO flyway_schema_history VALUES
    (1, '2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'ops', now(), 0, true)`);
  const s = await ADAPTERS.flyway.status(client, dir);
  assert.deepEqual(
    states(s).map((e) => `${e[0]}:${e[2]}`),
    ['1:applied', '1.1:applied', '1.2:applied', '2:applied', '3:pending', '10:pending'],
  );
});

test('node-pg-migrate: basename identity, numeric order, missing and out-of-order', async (t) => {
  const { db, client } = await open(t);
  const dir = project(t, {
    '900_old.mjs': '',
    '1700000000000_create-users.js': 'exports.up = (pgm) => {};',
    '1700000000001_add-email.sql': '-- Up Migration\nSELECT 1;',
    '1700000000002_posts.ts': '',
    '1700000000003_tags.cjs': '',
    '1700000000000_create-users.d.ts': '',
    'helper.js': '',
  });
  const fresh = await ADAPTERS['node-pg-migrate'].status(client, dir);
  // Numeric order: 900 comes first although it sorts last as a string.
  assert.deepEqual(pending(fresh), [
    '900',
    '1700000000000',
    '1700000000001',
    '1700000000002',
    '1700000000003',
  ]);

  await db.query(
    'CREATE TABLE pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)',
  );
  await db.query(
    `INSERT INTO pgmigrations (name, run_on) VALUES ('1699999999999_gone', now()),
       ('1700000000000_create-users', now()), ('1700000000002_posts', now())`,
  );
  const s = await ADAPTERS['node-pg-migrate'].status(client, dir);
  assert.deepEqual(states(s), [
    ['900', 'old', 'out-of-order'],
    ['1699999999999', 'gone', 'missing'],
    ['1700000000000', 'create-users', 'applied'],
    ['1700000000001', 'add-email', 'out-of-order'],
    ['1700000000002', 'posts', 'applied'],
    ['1700000000003', 'tags', 'pending'],
  ]);
  assert.deepEqual(s.ignoredFiles, ['1700000000000_create-users.d.ts', 'helper.js']);
  assert.ok(s.entries[2]!.appliedAt);
});

test('knex: identity is the file name with its extension; a renamed extension is missing + out-of-order', async (t) => {
  const { db, client } = await open(t);
  const dir = project(t, {
    '20240101000000_create_users.js': 'exports.up = () => {};',
    '20240102000000_add_email.ts': '',
    '20240103000000_posts.cjs': '',
    '20240104000000_tags.mjs': '',
    'index.d.ts': '',
    'seed.sql': '',
  });
  const fresh = await ADAPTERS.knex.status(client, dir);
  assert.deepEqual(
    fresh.entries.map((e) => e.file),
    [
      '20240101000000_create_users.js',
      '20240102000000_add_email.ts',
      '20240103000000_posts.cjs',
      '20240104000000_tags.mjs',
    ],
  );
  assert.ok(fresh.entries.every((e) => e.state === 'pending'));

  await db.query(
    'CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch int, migration_time timestamptz)',
  );
  await db.query('CREATE TABLE knex_migrations_lock (index serial PRIMARY KEY, is_locked int)');
  await db.query(
    `INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20240101000000_create_users.js', 1, now()),
       ('20240102000000_add_email.js', 1, now()), ('20240103000000_posts.cjs', 2, now())`,
  );
  const s = await ADAPTERS.knex.status(client, dir);
  assert.deepEqual(
    s.entries.map((e) => [e.file ?? '-', e.state]),
    [
      ['20240101000000_create_users.js', 'applied'],
      ['-', 'missing'],
      ['20240102000000_add_email.ts', 'out-of-order'],
      ['20240103000000_posts.cjs', 'applied'],
      ['20240104000000_tags.mjs', 'pending'],
    ],
  );
  assert.match(s.entries[1]!.note ?? '', /20240102000000_add_email\.js.*20240102000000_add_email\.ts/);
  assert.deepEqual(s.ignoredFiles, ['index.d.ts', 'seed.sql']);
});

test('schema_migrations is told apart: dirty ⇒ golang-migrate, ar_internal_metadata ⇒ rails, else dbmate', async (t) => {
  // A dir whose files fit Rails, dbmate and golang-migrate at once: only the database can decide.
  const dir = project(t, { '1_a.rb': '', '2_b.sql': '', '3_c.up.sql': '' });
  const setups: Record<string, string[]> = {
    'golang-migrate': ['CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)'],
    rails: [
      'CREATE TABLE schema_migrations (version varchar PRIMARY KEY)',
      'CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar)',
    ],
    dbmate: ['CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY)'],
    // Ecto's inserted_at: none of the three.
    pgward: ['CREATE TABLE schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp)'],
  };
  for (const [expected, sql] of Object.entries(setups)) {
    const { db, client } = await open(t);
    for (const q of sql) await db.query(q);
    assert.equal(await detectFramework(dir, client), expected, `tables: ${sql.join('; ')}`);
    const claims = [];
    for (const name of ['golang-migrate', 'rails', 'dbmate'] as const) {
      if (await ADAPTERS[name].detectDatabase(client)) claims.push(name);
    }
    assert.deepEqual(claims, expected === 'pgward' ? [] : [expected]);
  }
});

test('pgward vs dbmate: same files; pgward.migrations wins, then dbmate schema_migrations, else pgward', async (t) => {
  const dir = project(t, { '20240101000000_a.sql': '-- migrate:up\n', '20240102000000_b.sql': '' });
  const { db, client } = await open(t);
  assert.equal(await detectFramework(dir, client), 'pgward');
  await db.query('CREATE TABLE schema_migrations (version varchar(255) PRIMARY KEY)');
  assert.equal(await detectFramework(dir, client), 'dbmate');
  await db.query('CREATE SCHEMA pgward');
  await db.query('CREATE TABLE pgward.migrations (version text PRIMARY KEY)');
  assert.equal(await detectFramework(dir, client), 'pgward');

  // A golang-migrate style schema_migrations is not dbmate's: the .sql files stay pgward's.
  const other = await open(t);
  await other.db.query('CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)');
  assert.equal(await detectFramework(dir, other.client), 'pgward');
});

test('autodetection of each layout, with and without its tracking table', async (t) => {
  const { db, client } = await open(t);
  const empty = project(t, {});
  assert.equal(await detectFramework(empty, client), 'pgward');
  assert.equal(await detectFramework(join(empty, 'does-not-exist'), client), 'pgward');
  assert.equal(await detectFramework(project(t, { 'README.md': '' }), client), 'pgward');

  // Unique file layouts need no table.
  assert.equal(await detectFramework(project(t, FLYWAY_FILES), client), 'flyway');
  const alembicRoot = project(t, ALEMBIC);
  assert.equal(await detectFramework(join(alembicRoot, 'alembic'), client), 'alembic');
  assert.equal(await detectFramework(join(alembicRoot, 'alembic', 'versions'), client), 'alembic');
  const prismaDir = project(t, { '20240101000000_init/migration.sql': '', 'migration_lock.toml': '' });
  assert.equal(await detectFramework(prismaDir, client), 'prisma');
  assert.equal(await detectFramework(project(t, { '20240101000000_x.rb': '' }), client), 'rails');
  assert.equal(
    await detectFramework(project(t, { '1_x.up.sql': '', '1_x.down.sql': '' }), client),
    'golang-migrate',
  );

  // `<digits>_<name>.js` fits both node-pg-migrate and Knex: the tables decide, or the user must.
  const js = project(t, { '20240101000000_create_users.js': '' });
  assert.deepEqual(await detectFramework(js, client), { ambiguous: ['node-pg-migrate', 'knex'] });
  await db.query('CREATE TABLE knex_migrations (id serial, name varchar(255))');
  // Without its lock table, knex_migrations alone is not taken as Knex's.
  assert.deepEqual(await detectFramework(js, client), { ambiguous: ['node-pg-migrate', 'knex'] });
  await db.query('CREATE TABLE knex_migrations_lock (index serial, is_locked int)');
  assert.equal(await detectFramework(js, client), 'knex');
  await db.query('CREATE TABLE pgmigrations (id serial, name varchar(255), run_on timestamp)');
  assert.deepEqual(await detectFramework(js, client), { ambiguous: ['node-pg-migrate', 'knex'] });
  await db.query('DROP TABLE knex_migrations, knex_migrations_lock');
  assert.equal(await detectFramework(js, client), 'node-pg-migrate');
});
