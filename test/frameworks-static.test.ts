// What plan can see before anything runs: each framework's pending migrations read as the SQL that
// framework sends, with its execution model, and linted as such. Inputs are real: Rails migration files
// as Rails' generators write them, Alembic's offline mode and Django's sqlmigrate run for real on
// generated projects (Django against a real database), and the SQL-file frameworks' execution model
// checked against PostgreSQL itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import {
  type PendingRef,
  prepareStatic,
  readPendingMigrations,
  type StaticFramework,
  type StaticMigration,
  sourceLineOf,
} from '../src/frameworks/static/index.js';
import { type Finding, lintPrepared } from '../src/lint/index.js';
import { splitStatements } from '../src/sql/split.js';
import { adminQuery, createTestDatabase } from './harness/db.js';

const PYTHON = '/usr/bin/python3';

type T = { after: (fn: () => void | Promise<void>) => void };

/** Writes `files` (relative path → content) into a new temp dir and returns the dir. */
function project(t: T, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-static-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

async function read(
  framework: StaticFramework,
  dir: string,
  pending: PendingRef[],
  extra: { root?: string; details?: Record<string, string>; databaseUrl?: string } = {},
): Promise<StaticMigration[]> {
  return readPendingMigrations(framework, { root: extra.root ?? dir, dir, pending, ...extra });
}

/** Lint findings per migration, as `category:rule`, without robustness and style advice. */
async function findings(migrations: StaticMigration[]): Promise<string[][]> {
  const report = lintPrepared(await prepareStatic(migrations));
  const shown = (f: Finding) => f.category !== 'robustness' && f.category !== 'style';
  return report.files.map((f) => f.findings.filter(shown).map((x) => `${x.category}:${x.rule}`));
}

/** The checksum of files with these contents: each file's bytes followed by a NUL. */
const sha256 = (...parts: (Buffer | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

// --- Rails ------------------------------------------------------------------------------------------

const rb = (body: string, extra = '') =>
  `class Migration${Math.random().toString(36).slice(2, 8)} < ActiveRecord::Migration[7.1]\n${extra}  def change\n${body}  end\nend\n`;

async function rails(t: T, body: string, extra = ''): Promise<StaticMigration> {
  const dir = project(t, { '20240101000000_m.rb': rb(body, extra) });
  const [m] = await read('rails', dir, [{ version: '20240101000000', file: '20240101000000_m.rb' }]);
  return m!;
}

test('rails: remove_column is destructive, wrapped in the migration transaction', async (t) => {
  const m = await rails(t, '    remove_column :users, :email, :string\n');
  assert.equal(m.wrapped, true);
  assert.match(m.sql!, /^ALTER TABLE "users" DROP COLUMN "email";$/m);
  assert.deepEqual(await findings([m]), [['destructive:ban-drop-column']]);
  assert.deepEqual(m.notes, []);
});

test('rails: add_index without algorithm: :concurrently blocks writes on an existing table', async (t) => {
  const m = await rails(t, '    add_index :users, :email\n');
  assert.match(m.sql!, /^CREATE INDEX "index_users_on_email" ON "users" \("email"\);$/m);
  assert.deepEqual(await findings([m]), [['blocking:require-concurrent-index-creation']]);
});

test('rails: add_index algorithm: :concurrently with disable_ddl_transaction! is neither blocking nor failing', async (t) => {
  const ok = await rails(
    t,
    '    add_index :users, :email, algorithm: :concurrently\n',
    '  disable_ddl_transaction!\n\n',
  );
  assert.equal(ok.wrapped, false);
  assert.match(ok.sql!, /CREATE INDEX CONCURRENTLY "index_users_on_email" ON "users" \("email"\);/);
  assert.deepEqual(await findings([ok]), [[]]);
  // Without disable_ddl_transaction! Rails runs it inside its transaction, where PostgreSQL refuses it.
  const wrapped = await rails(t, '    add_index :users, :email, algorithm: :concurrently\n');
  assert.equal(wrapped.wrapped, true);
  assert.deepEqual(await findings([wrapped]), [['error:requires-no-transaction']]);
});

test('rails: add_foreign_key is validated (blocking) unless validate: false; validate_foreign_key validates', async (t) => {
  const validated = await rails(t, '    add_foreign_key :orders, :users\n');
  assert.match(
    validated.sql!,
    /ALTER TABLE "orders" ADD CONSTRAINT "fk_rails_[0-9a-f]{10}" FOREIGN KEY \("user_id"\) REFERENCES "users" \("id"\);/,
  );
  assert.ok((await findings([validated]))[0]!.includes('blocking:adding-foreign-key-constraint'));
  const later = await rails(
    t,
    '    add_foreign_key :orders, :users, column: :buyer_id, validate: false, name: "fk_buyer"\n    validate_foreign_key :orders, name: "fk_buyer"\n',
  );
  assert.match(later.sql!, /FOREIGN KEY \("buyer_id"\) REFERENCES "users" \("id"\) NOT VALID;/);
  assert.match(later.sql!, /ALTER TABLE "orders" VALIDATE CONSTRAINT "fk_buyer";/);
  assert.ok(!(await findings([later]))[0]!.includes('blocking:adding-foreign-key-constraint'));
});

test('rails: execute "…" and heredocs are linted as SQL; unknown Ruby is a note with its line', async (t) => {
  const m = await rails(
    t,
    [
      '    execute "DROP TABLE legacy_events"',
      '    User.where(active: nil).update_all(active: true)',
      '    execute <<~SQL',
      '      ALTER TABLE accounts DROP COLUMN notes;',
      '    SQL',
      '    execute "UPDATE users SET plan = \'#{Plan.default}\'"',
      '',
    ].join('\n'),
  );
  assert.match(m.sql!, /^DROP TABLE legacy_events;$/m);
  assert.match(m.sql!, /^ALTER TABLE accounts DROP COLUMN notes;$/m);
  assert.deepEqual(await findings([m]), [['destructive:ban-drop-table', 'destructive:ban-drop-column']]);
  // Findings map back to the .rb lines that produced them.
  const report = lintPrepared(await prepareStatic([m]));
  const lines = report.files[0]!.findings.filter((f) => f.category === 'destructive').map((f) =>
    sourceLineOf(m.sql!, f.line),
  );
  assert.deepEqual(lines, [3, 5]);
  assert.deepEqual(m.notes, [
    'line 4: User.where(active: nil).update_all(active: true) cannot be read statically — rehearse it: pgward rehearse',
    `line 8: execute "UPDATE users SET plan = '#{Plan.default}'" cannot be read statically — rehearse it: pgward rehearse`,
  ]);
});

test('rails: common real-world forms: safety_assured, heredoc.squish, lambda defaults, enums; a guarded call is read with a note', async (t) => {
  const m = await rails(
    t,
    [
      '    safety_assured { remove_column :users, :legacy }',
      '    safety_assured do',
      '      rename_column :users, :name, :full_name',
      '    end',
      '    execute <<~SQL.squish',
      '      UPDATE users',
      "      SET plan = 'free'",
      '    SQL',
      '    add_column :events, :at, :datetime, default: -> { "CURRENT_TIMESTAMP" }, null: false',
      '    remove_column :users, :email if column_exists?(:users, :email)',
      '    create_enum :mood, %w[happy sad]',
      '    add_column :users, :mood, :enum, enum_type: :mood, default: "happy", null: false',
      '    execute "DELETE FROM sessions -- stale rows"',
      '    execute "DELETE FROM tokens"',
      '',
    ].join('\n'),
  );
  // A trailing -- comment in execute's SQL does not swallow the statement's end.
  const split = splitStatements(m.sql!);
  assert.ok(split.ok);
  assert.deepEqual(
    split.statements.slice(-2).map((x) => x.sql),
    ['DELETE FROM sessions -- stale rows', 'DELETE FROM tokens'],
  );
  assert.match(m.sql!, /^ALTER TABLE "users" DROP COLUMN "email";$/m);
  assert.match(m.sql!, /^CREATE TYPE "mood" AS ENUM \('happy', 'sad'\);$/m);
  assert.match(m.sql!, /^ALTER TABLE "users" ADD COLUMN "mood" "mood" DEFAULT 'happy' NOT NULL;$/m);
  assert.match(m.sql!, /^ALTER TABLE "users" DROP COLUMN "legacy";$/m);
  assert.match(m.sql!, /^ALTER TABLE "users" RENAME COLUMN "name" TO "full_name";$/m);
  assert.match(m.sql!, /^UPDATE users SET plan = 'free';$/m);
  assert.match(m.sql!, /ADD COLUMN "at" timestamp\(6\) DEFAULT CURRENT_TIMESTAMP NOT NULL;/);
  assert.deepEqual(m.notes, [
    'line 12: guarded by `if …`, read as if it runs (the condition cannot be known statically) — rehearse it: pgward rehearse',
  ]);
  const f = (await findings([m]))[0]!;
  assert.ok(f.includes('destructive:ban-drop-column') && f.includes('breaking:renaming-column'), f.join());
});

test('rails: the DSL subset translates to SQL that PostgreSQL accepts', async (t) => {
  const db = await createTestDatabase();
  await db.query(
    'CREATE TABLE users (id bigserial PRIMARY KEY, name text, age int, email text, legacy text)',
  );
  await db.query('CREATE TABLE accounts (id bigserial PRIMARY KEY, a int, old text)');
  const m = await rails(
    t,
    `    create_table :posts do |t|
      t.string :title, null: false, limit: 200
      t.text :body
      t.references :user, null: false, foreign_key: true
      t.integer :views, default: 0
      t.decimal :price, precision: 10, scale: 2
      t.jsonb :meta, null: false, default: {}
      t.timestamps
      t.index [:title, :user_id], unique: true
    end
    add_column :users, :admin, :boolean, null: false, default: false
    change_column_null :users, :name, false, "anon"
    change_column_default :users, :age, from: nil, to: 18
    change_column :users, :age, :bigint
    rename_column :users, :legacy, :legacy_notes
    remove_columns :users, :email
    add_reference :accounts, :user, foreign_key: true, index: { algorithm: :concurrently }
    add_check_constraint :users, "age >= 0", name: "age_positive", validate: false
    change_table :accounts do |t|
      t.rename :a, :b
      t.remove :old
      t.string :nick
      t.index :nick
    end
    reversible do |dir|
      dir.up { execute "UPDATE users SET age = 1 WHERE age IS NULL" }
      dir.down { execute "SELECT 1" }
    end
    rename_table :accounts, :profiles
    drop_table :posts
`,
    '  disable_ddl_transaction!\n',
  );
  assert.deepEqual(m.notes, []);
  assert.ok(!m.sql!.includes('SELECT 1'), 'the down part of reversible is not read');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  t.after(() => client.end());
  // Statement by statement in autocommit, as Rails sends them with disable_ddl_transaction!.
  const split = splitStatements(m.sql!);
  assert.ok(split.ok);
  for (const st of split.statements) await client.query(st.sql);
  const cols = await client.query(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'",
  );
  assert.ok(cols.rows.some((r) => r.column_name === 'legacy_notes'));
  assert.ok(!cols.rows.some((r) => r.column_name === 'email'));
  const pk = await client.query("SELECT to_regclass('profiles') IS NOT NULL AS ok");
  assert.equal(pk.rows[0].ok, true);
});

/** Columns, indexes and constraints of the public schema (Rails' own tables left out), for comparison. */
async function schemaOf(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const skip = "NOT IN ('schema_migrations', 'ar_internal_metadata')";
    const cols = await client.query(
      `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
              pg_get_expr(d.adbin, d.adrelid) AS dflt
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname ${skip}
        ORDER BY 1, 2`,
    );
    const idx = await client.query(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename ${skip} ORDER BY 1`,
    );
    const cons = await client.query(
      `SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def, convalidated
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text ${skip}
        ORDER BY 1, 2`,
    );
    return [
      ...cols.rows.map(
        (r) => `column ${r.relname}.${r.attname} ${r.type}${r.attnotnull ? ' not null' : ''} ${r.dflt ?? ''}`,
      ),
      ...idx.rows.map((r) => `index ${r.indexdef}`),
      ...cons.rows.map(
        (r) => `constraint ${r.rel} ${r.conname} ${r.def}${r.convalidated ? '' : ' (not validated)'}`,
      ),
    ];
  } finally {
    await client.end();
  }
}

/** Runs the migrations in `dir` with real Active Record (6.1 here) against `url`, given in the environment. */
function railsMigrate(dir: string, url: string): void {
  const script = `require 'active_record'
ActiveRecord::Base.establish_connection(ENV.fetch('DATABASE_URL'))
ActiveRecord::Migration.verbose = false
ActiveRecord::MigrationContext.new([ARGV[0]], ActiveRecord::SchemaMigration).migrate
`;
  const r = spawnSync('ruby', ['-e', script, dir], {
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: url },
  });
  assert.equal(r.status, 0, r.stderr);
}

test('rails: the static reading builds the same schema as real Active Record running the migration', async (t) => {
  const setup =
    'CREATE TABLE users (id bigserial PRIMARY KEY, name text, age int, email text, legacy text);' +
    'CREATE TABLE accounts (id bigserial PRIMARY KEY, a int, old text);';
  const migration = `class BigChange < ActiveRecord::Migration[6.1]
  disable_ddl_transaction!

  def change
    create_table :posts do |t|
      t.string :title, null: false, limit: 200
      t.text :body
      t.references :user, null: false, foreign_key: true
      t.integer :views, default: 0
      t.decimal :price, precision: 10, scale: 2
      t.jsonb :meta, null: false, default: {}
      t.datetime :published_at
      t.timestamps
      t.index [:title, :user_id], unique: true
    end
    add_column :users, :admin, :boolean, null: false, default: false
    add_column :users, :tags, :string, array: true, default: []
    add_column :users, :full, :text
    change_column_null :users, :name, false, "anon"
    change_column_default :users, :age, from: nil, to: 18
    change_column :users, :age, :bigint
    rename_column :users, :legacy, :legacy_notes
    remove_columns :users, :email
    add_reference :accounts, :user, foreign_key: true, index: { algorithm: :concurrently }
    add_index :users, "lower(name)", name: "index_users_on_lower_name"
    add_index :users, :admin, where: "admin", algorithm: :concurrently
    add_check_constraint :users, "age >= 0", validate: false
    add_foreign_key :posts, :accounts, column: :views, validate: false
    change_table :accounts do |t|
      t.rename :a, :b
      t.remove :old
      t.string :nick
      t.index :nick
    end
    add_timestamps :accounts, null: true
    create_table :scratch
  end
end
`;
  // A second, older-style migration (Rails 5.2 defaults), run in its transaction after the first.
  const more = `class MoreChanges < ActiveRecord::Migration[5.2]
  def change
    create_table :comments do |t|
      t.references :commentable, polymorphic: true, index: true
      t.string :body, null: false
      t.datetime :edited_at
      t.timestamps
    end
    create_table :tags, id: false do |t|
      t.string :name, null: false
      t.uuid :uid
    end
    change_column :users, :full, :string, limit: 100, null: true
    remove_index :users, name: "index_users_on_lower_name"
    rename_index :posts, "index_posts_on_user_id", "posts_by_user"
    change_column_default :users, :age, nil
    add_index :tags, [:name, :uid], unique: true, name: "tags_name_uid"
    change_table :posts do |t|
      t.change :views, :bigint
      t.remove_index column: [:title, :user_id]
    end
    remove_reference :accounts, :user, foreign_key: true, index: true
    remove_foreign_key :posts, :accounts, column: :views
    drop_table :scratch do |t|
      t.string :x
    end
  end
end
`;
  const dir = project(t, {
    '20240101000000_big_change.rb': migration,
    '20240101000001_more_changes.rb': more,
  });
  const real = await createTestDatabase();
  const ours = await createTestDatabase();
  await real.query(setup);
  await ours.query(setup);
  railsMigrate(dir, real.url);
  const ms = await read('rails', dir, [
    { version: '20240101000000', file: '20240101000000_big_change.rb' },
    { version: '20240101000001', file: '20240101000001_more_changes.rb' },
  ]);
  assert.deepEqual(
    ms.map((m) => [m.wrapped, m.notes]),
    [
      [false, []],
      [true, []],
    ],
  );
  for (const m of ms) {
    const split = splitStatements(m.sql!);
    assert.ok(split.ok);
    for (const st of split.statements) await ours.query(st.sql);
  }
  const expected = await schemaOf(real.url);
  if (process.env.PGWARD_SHOW_SCHEMA) console.log(expected.join('\n'));
  assert.ok(expected.length > 30 && expected.some((l) => l.includes('fk_rails_')));
  assert.deepEqual(await schemaOf(ours.url), expected);
});

test('rails: a helper method without parameters is read where change calls it; one with parameters is a note', async (t) => {
  const src = `class Cleanup < ActiveRecord::Migration[7.1]
  def change
    drop_legacy
    rename_things("x")
    loop_forever
  end

  private

  def drop_legacy
    remove_column :users, :legacy
  end

  def rename_things(suffix)
    rename_column :users, :a, :b
  end

  def loop_forever
    loop_forever
  end
end
`;
  const dir = project(t, { '20240103000000_cleanup.rb': src });
  const [m] = await read('rails', dir, [{ version: '20240103000000', file: '20240103000000_cleanup.rb' }]);
  assert.match(m!.sql!, /^ALTER TABLE "users" DROP COLUMN "legacy";$/m);
  assert.ok(!m!.sql!.includes('RENAME'));
  assert.ok(m!.notes.some((n) => n.startsWith('line 4: rename_things("x")')));
  assert.ok(m!.notes.some((n) => n.startsWith('line 19: loop_forever')));
});

test('rails: if/case expressions and return-if guards never swallow the statements after them', async (t) => {
  const m = await rails(
    t,
    [
      "    kind = if ENV['BIG'] then :bigint else :integer end",
      '    size = if ENV["X"]',
      '      1',
      '    else',
      '      2',
      '    end',
      '    mode = case size',
      '           when 1 then :a',
      '           end',
      '    reversible do |dir|',
      '      dir.up do',
      '        return if connection.column_exists?(:users, :nick)',
      '      end',
      '    end',
      '    remove_column :users, :legacy',
      '',
    ].join('\n'),
  );
  assert.match(m.sql!, /^ALTER TABLE "users" DROP COLUMN "legacy";$/m);
  assert.deepEqual(
    m.notes.map((n) => n.split(':')[0]),
    ['line 3', 'line 4', 'line 9', 'line 14'],
  );
  // def self.up is read like def up.
  const dir = project(t, {
    '20240104000000_old.rb':
      'class Old < ActiveRecord::Migration\n  def self.up\n    drop_table :old\n  end\n\n  def self.down\n  end\nend\n',
  });
  const [old] = await read('rails', dir, [{ version: '20240104000000', file: '20240104000000_old.rb' }]);
  assert.match(old!.sql!, /^DROP TABLE "old";$/m);
  assert.deepEqual(old!.notes, []);
});

test('rails: change wins over up, down is never read, and the checksum binds to the .rb bytes', async (t) => {
  const src = `class X < ActiveRecord::Migration[6.1]
  def up
    drop_table :users
  end

  def down
    create_table :users
  end
end
`;
  const dir = project(t, { '20240102000000_drop_users.rb': src });
  const [m] = await read('rails', dir, [{ version: '20240102000000', file: '20240102000000_drop_users.rb' }]);
  assert.equal(m!.checksum, sha256(Buffer.from(src)));
  assert.deepEqual(m!.files, [join(dir, '20240102000000_drop_users.rb')]);
  assert.match(m!.sql!, /^DROP TABLE "users";$/m);
  assert.ok(!m!.sql!.includes('CREATE TABLE'));
});

// --- SQL-file frameworks ------------------------------------------------------------------------------

test('prisma: CREATE INDEX CONCURRENTLY after another statement fails, as PostgreSQL shows for the one simple query', async (t) => {
  const sql =
    'ALTER TABLE "User" ADD COLUMN "nick" TEXT;\n\nCREATE INDEX CONCURRENTLY "User_nick_idx" ON "User"("nick");\n';
  const dir = project(t, {
    '20240101000000_nick/migration.sql': sql,
    'migration_lock.toml': 'provider = "postgresql"\n',
  });
  const [m] = await read('prisma', dir, [
    { version: '20240101000000', file: '20240101000000_nick/migration.sql' },
  ]);
  assert.equal(m!.wrapped, true);
  assert.equal(m!.sql, sql);
  assert.equal(m!.checksum, sha256(sql));
  assert.ok((await findings([m!]))[0]!.includes('error:requires-no-transaction'));
  // The execution model itself: the whole file as one simple Query is one implicit transaction.
  const db = await createTestDatabase();
  await db.query('CREATE TABLE "User" (id int)');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  t.after(() => client.end());
  await assert.rejects(client.query(sql), /cannot run inside a transaction block/);
});

test('golang-migrate: the .up.sql is one wrapped script; the .down.sql is never read', async (t) => {
  const up = 'ALTER TABLE users ADD COLUMN nick text;\n';
  const dir = project(t, {
    '0003_nick.up.sql': up,
    '0003_nick.down.sql': 'ALTER TABLE users DROP COLUMN nick;\nDROP TABLE users;\n',
  });
  for (const pending of [[{ version: '3', file: '0003_nick.up.sql' }], [{ version: '3' }]]) {
    const [m] = await read('golang-migrate', dir, pending);
    assert.deepEqual(m!.files, [join(dir, '0003_nick.up.sql')]);
    assert.equal(m!.sql, up);
    assert.equal(m!.wrapped, true);
    assert.deepEqual(await findings([m!]), [[]]);
  }
});

test('flyway: a .conf with executeInTransaction=false opts out; CONCURRENTLY alone runs outside; mixing is refused', async (t) => {
  const dir = project(t, {
    'sql/V1__drop.sql': 'DROP TABLE legacy;\n',
    'sql/V1__drop.sql.conf': 'executeInTransaction=false\n',
    'sql/V2__idx.sql': 'CREATE INDEX CONCURRENTLY users_email ON users (email);\n',
    'sql/V3__mixed.sql':
      'ALTER TABLE users ADD COLUMN x int;\nCREATE INDEX CONCURRENTLY users_x ON users (x);\n',
    'sql/V4__plain.sql': 'CREATE INDEX users_y ON users (y);\n',
  });
  const ms = await read('flyway', dir, [
    { version: '1', file: 'sql/V1__drop.sql' },
    { version: '2', file: 'sql/V2__idx.sql' },
    { version: '3', file: 'sql/V3__mixed.sql' },
    { version: '4', file: 'sql/V4__plain.sql' },
  ]);
  assert.deepEqual(
    ms.map((m) => m.wrapped),
    [false, false, false, true],
  );
  assert.deepEqual(ms[0]!.files, [join(dir, 'sql/V1__drop.sql'), join(dir, 'sql/V1__drop.sql.conf')]);
  assert.equal(ms[0]!.checksum, sha256(readFileSync(ms[0]!.files[0]!), readFileSync(ms[0]!.files[1]!)));
  assert.ok(ms[2]!.notes.some((n) => n.includes('mixed=true')));
  // With mixed = true in the project's flyway.toml, Flyway runs the mixed file (without a transaction).
  writeFileSync(join(dir, 'flyway.toml'), '[flyway]\nmixed = true\nlocations = ["filesystem:sql"]\n');
  const [mixed] = await read('flyway', dir, [{ version: '3', file: 'sql/V3__mixed.sql' }], {
    details: { flywayConfig: 'flyway.toml' },
  });
  assert.equal(mixed!.wrapped, false);
  assert.ok(!mixed!.notes.some((n) => n.includes('mixed=true')));
  assert.deepEqual(await findings(ms), [
    ['destructive:ban-drop-table'],
    [],
    [],
    ['blocking:require-concurrent-index-creation'],
  ]);
});

// --- JS frameworks ------------------------------------------------------------------------------------

test('node-pg-migrate: pgm calls and a .sql file up part; noTransaction; unknown calls are notes', async (t) => {
  const dir = project(t, {
    '1700000000000_a.js': `exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.createIndex('users', 'email', { concurrently: true });
  pgm.dropColumns('users', ['legacy']);
  pgm.createFunction('f', [], { returns: 'int', language: 'sql' }, 'SELECT 1');
};
exports.down = (pgm) => { pgm.dropTable('users'); };
`,
    '1700000000001_b.sql':
      '-- Up Migration\nALTER TABLE users ALTER COLUMN age SET NOT NULL;\n-- Down Migration\nDROP TABLE users;\n',
  });
  const ms = await read('node-pg-migrate', dir, [
    { version: '1700000000000', file: '1700000000000_a.js' },
    { version: '1700000000001', file: '1700000000001_b.sql' },
  ]);
  assert.equal(ms[0]!.wrapped, false);
  assert.match(ms[0]!.sql!, /CREATE INDEX CONCURRENTLY "users_email_index" ON "users" \("email"\);/);
  assert.ok(!ms[0]!.sql!.includes('DROP TABLE'), 'down is not read');
  assert.deepEqual(ms[0]!.notes, [
    "line 5: pgm.createFunction('f', [], { returns: 'int', language: 'sql' }, 'SELECT 1'); cannot be read statically — rehearse it: pgward rehearse",
  ]);
  assert.equal(ms[1]!.sql, 'ALTER TABLE users ALTER COLUMN age SET NOT NULL;\n');
  assert.equal(ms[1]!.wrapped, true);
  const f = await findings(ms);
  assert.deepEqual(f[0], ['destructive:ban-drop-column']);
  assert.ok(
    f[1]!.some((x) => x.endsWith('setting-not-nullable-field') || x.includes('not-null')),
    f[1]!.join(),
  );
});

test('knex: raw SQL and schema builder calls translate; data queries are notes; config.transaction=false', async (t) => {
  const dir = project(t, {
    '20240101_a.js': `exports.config = { transaction: false };
exports.up = async function (knex) {
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('email');
    table.string('name', 100).notNullable().alter();
  });
  await knex.raw('CREATE INDEX CONCURRENTLY users_name ON users (name)');
  await knex('users').update({ active: true });
};
exports.down = async function (knex) {
  await knex.schema.dropTable('users');
};
`,
  });
  const [m] = await read('knex', dir, [{ version: '20240101', file: '20240101_a.js' }]);
  assert.equal(m!.wrapped, false);
  assert.match(m!.sql!, /ALTER TABLE "users" DROP COLUMN "email";/);
  assert.match(m!.sql!, /ALTER TABLE "users" ALTER COLUMN "name" TYPE varchar\(100\)/);
  assert.ok(!m!.sql!.includes('DROP TABLE'));
  assert.deepEqual(m!.notes, [
    "line 8: await knex('users').update({ active: true }); cannot be read statically — rehearse it: pgward rehearse",
  ]);
  const f = (await findings([m!]))[0]!;
  assert.ok(f.includes('destructive:ban-drop-column'), f.join());
  assert.ok(!f.includes('error:requires-no-transaction'), f.join());
});

/** Applies each migration's static SQL statement by statement. */
async function applyStatic(url: string, ms: StaticMigration[]): Promise<void> {
  for (const m of ms) {
    assert.deepEqual(m.notes, [], `${m.version}: ${m.notes.join('; ')}`);
    const split = splitStatements(m.sql!);
    assert.ok(split.ok);
    for (const st of split.statements) await adminQuery(url, st.sql);
  }
}

const SETUP_JS =
  'CREATE TABLE users (id serial PRIMARY KEY, email text, name text, age int, a int, b int);' +
  'CREATE TABLE orgs (id serial PRIMARY KEY);';

test('knex: the static reading builds the same schema as real Knex running the migration', async (t) => {
  const require = createRequire(import.meta.url);
  const knexFactory = require('knex') as (config: object) => {
    destroy(): Promise<void>;
  };
  const src = `exports.up = async function (knex) {
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('email');
    table.string('name', 100).notNullable().alter();
    table.integer('org_id').references('id').inTable('orgs');
    table.text('code').unique();
    table.index(['a', 'b']);
    table.renameColumn('age', 'years');
    table.boolean('active').notNullable().defaultTo(true);
  });
  await knex.schema.createTable('posts', (t) => {
    t.increments('id');
    t.string('title').notNullable();
    t.integer('user_id').references('users.id');
    t.decimal('price', 10, 2);
    t.jsonb('meta');
    t.timestamps();
  });
  await knex.raw('CREATE INDEX posts_title ON posts (title)');
};
exports.down = async function (knex) {
  await knex.schema.dropTable('posts');
};
`;
  const dir = project(t, { '20240101_a.js': src });
  const real = await createTestDatabase();
  const ours = await createTestDatabase();
  await real.query(SETUP_JS);
  await ours.query(SETUP_JS);
  const knex = knexFactory({ client: 'pg', connection: real.url });
  try {
    await require(join(dir, '20240101_a.js')).up(knex);
  } finally {
    await knex.destroy();
  }
  await applyStatic(ours.url, await read('knex', dir, [{ version: '20240101', file: '20240101_a.js' }]));
  const expected = await schemaOf(real.url);
  assert.ok(expected.some((l) => l.includes('users_org_id_foreign')));
  assert.deepEqual(await schemaOf(ours.url), expected);
});

test("node-pg-migrate: the static reading builds the same schema as node-pg-migrate's own builder", async (t) => {
  const require = createRequire(import.meta.url);
  const { MigrationBuilder } = require('node-pg-migrate/migrationBuilder') as {
    MigrationBuilder: new (
      db: object,
      shorthands: undefined,
      decamelize: boolean,
      logger: Console,
    ) => {
      getSqlSteps(): string[];
    };
  };
  const src = `exports.up = (pgm) => {
  pgm.dropColumns('users', ['email', 'a']);
  pgm.createIndex('users', 'name', { unique: true });
  pgm.addIndex('users', ['age', 'b']);
  pgm.alterColumn('users', 'age', { type: 'bigint', notNull: true, default: 0 });
  pgm.renameColumn('users', 'name', 'full_name');
  pgm.createTable('posts', { id: 'id', title: { type: 'text', notNull: true, default: 'x' }, user_id: { type: 'integer', references: 'users' } });
  pgm.addColumns('users', { nick: { type: 'text', unique: true } });
  pgm.addConstraint('users', 'age_positive', 'CHECK (age >= 0)');
  pgm.sql('CREATE INDEX posts_title ON posts (title)');
};
`;
  const dir = project(t, { '1700000000000_a.js': src });
  const real = await createTestDatabase();
  const ours = await createTestDatabase();
  await real.query(SETUP_JS);
  await ours.query(SETUP_JS);
  const builder = new MigrationBuilder({}, undefined, false, console);
  require(join(dir, '1700000000000_a.js')).up(builder);
  for (const step of builder.getSqlSteps()) await real.query(step);
  await applyStatic(
    ours.url,
    await read('node-pg-migrate', dir, [{ version: '1700000000000', file: '1700000000000_a.js' }]),
  );
  const expected = await schemaOf(real.url);
  assert.ok(expected.some((l) => l.includes('age_positive')));
  assert.deepEqual(await schemaOf(ours.url), expected);
});

test('knex / node-pg-migrate: TypeScript, object-method and arrow forms of up are read; down never', async (t) => {
  const dir = project(t, {
    'k/1_ts.ts': `import type { Knex } from 'knex';
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table: Knex.AlterTableBuilder) => {
    table.dropColumn('email');
  });
}
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
`,
    'k/2_obj.js': `module.exports = {
  async up(knex) { await knex.schema.dropTable('a'); },
  async down(knex) { await knex.schema.dropTable('b'); },
};
`,
    'p/1_ts.ts': `import { MigrationBuilder } from 'node-pg-migrate';
export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('x');
}
export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('z');
}
`,
    'p/2_arrow.js': "exports.up = pgm => pgm.dropTable('y');\n",
  });
  const k = await read('knex', join(dir, 'k'), [
    { version: '1', file: '1_ts.ts' },
    { version: '2', file: '2_obj.js' },
  ]);
  const p = await read('node-pg-migrate', join(dir, 'p'), [
    { version: '1', file: '1_ts.ts' },
    { version: '2', file: '2_arrow.js' },
  ]);
  const statements = (m: StaticMigration) => m.sql!.split('\n').filter((l) => l && !l.startsWith('--'));
  assert.deepEqual([...k, ...p].map(statements), [
    ['ALTER TABLE "users" DROP COLUMN "email";'],
    ['DROP TABLE "a";'],
    ['DROP TABLE "x";'],
    ['DROP TABLE "y";'],
  ]);
  assert.ok([...k, ...p].every((m) => m.notes.length === 0 && m.wrapped));
});

// --- Alembic (real offline mode) ---------------------------------------------------------------------------

function alembicProject(t: T): string {
  const dir = project(t, {});
  const init = spawnSync(PYTHON, ['-m', 'alembic', 'init', 'migrations'], { cwd: dir, encoding: 'utf8' });
  assert.equal(init.status, 0, init.stderr);
  const rev = (id: string, down: string | null, body: string) =>
    `from alembic import op\nimport sqlalchemy as sa\n\nrevision = '${id}'\ndown_revision = ${down === null ? 'None' : `'${down}'`}\n\n\ndef upgrade():\n${body}\n\ndef downgrade():\n    op.drop_table('users')\n`;
  writeFileSync(
    join(dir, 'migrations/versions/a1_users.py'),
    rev(
      'a1',
      null,
      "    op.create_table('users', sa.Column('id', sa.Integer, primary_key=True), sa.Column('email', sa.String(50)))",
    ),
  );
  writeFileSync(
    join(dir, 'migrations/versions/b2_drop_email.py'),
    rev('b2', 'a1', "    op.drop_column('users', 'email')"),
  );
  writeFileSync(
    join(dir, 'migrations/versions/c3_conn.py'),
    rev('c3', 'b2', "    conn = op.get_bind()\n    op.add_column('users', sa.Column('nick', sa.Text()))"),
  );
  return dir;
}

test('alembic: real offline mode per revision; op.drop_column is destructive; bookkeeping stripped', async (t) => {
  const root = alembicProject(t);
  const dir = join(root, 'migrations');
  const details = { python: PYTHON };
  const ms = await read(
    'alembic',
    dir,
    [
      { version: 'b2', file: 'b2_drop_email.py' },
      { version: 'c3', file: 'c3_conn.py' },
    ],
    { root, details },
  );
  assert.deepEqual(
    ms.map((m) => m.version),
    ['b2', 'c3'],
  );
  assert.equal(ms[0]!.sql, 'ALTER TABLE users DROP COLUMN email;\n');
  assert.equal(ms[1]!.sql, 'ALTER TABLE users ADD COLUMN nick TEXT;\n');
  assert.ok(ms.every((m) => m.wrapped));
  assert.ok(!ms.some((m) => /alembic_version|BEGIN|COMMIT|CREATE TABLE users/.test(m.sql!)));
  assert.deepEqual(ms[0]!.notes, []);
  assert.ok(ms[1]!.notes[0]!.includes('op.get_bind()') && ms[1]!.notes[0]!.endsWith('pgward rehearse'));
  assert.equal(ms[0]!.checksum, sha256(readFileSync(join(dir, 'versions/b2_drop_email.py'))));
  assert.deepEqual(await findings(ms), [['destructive:ban-drop-column'], []]);
  // From base: the first revision is read too.
  const all = await read('alembic', dir, [{ version: 'a1', file: 'a1_users.py' }], { root, details });
  assert.match(all[0]!.sql!, /^CREATE TABLE users \(/);
});

test('alembic: an env.py that reads DATABASE_URL works offline with the placeholder URL, never the real one', async (t) => {
  const root = alembicProject(t);
  const envPy = join(root, 'migrations/env.py');
  const src = readFileSync(envPy, 'utf8');
  assert.ok(src.includes('url = config.get_main_option("sqlalchemy.url")'));
  writeFileSync(
    envPy,
    `import os\n${src.replace('url = config.get_main_option("sqlalchemy.url")', 'url = os.environ["DATABASE_URL"]\n    assert "secret" not in url')}`,
  );
  const before = process.env.DATABASE_URL;
  process.env.DATABASE_URL = 'postgresql://app:secret@db.internal/app';
  t.after(() => {
    if (before === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = before;
  });
  const ms = await read('alembic', join(root, 'migrations'), [{ version: 'b2', file: 'b2_drop_email.py' }], {
    root,
    details: { python: PYTHON },
  });
  assert.deepEqual(ms[0]!.notes, []);
  assert.equal(ms[0]!.sql, 'ALTER TABLE users DROP COLUMN email;\n');
});

test('alembic: an alembic.ini elsewhere (details.alembicIni, relative to the root) with a relative script_location', async (t) => {
  const root = alembicProject(t);
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'config/alembic.ini'), readFileSync(join(root, 'alembic.ini')));
  rmSync(join(root, 'alembic.ini'));
  const ms = await read('alembic', join(root, 'migrations'), [{ version: 'b2', file: 'b2_drop_email.py' }], {
    root,
    details: { python: PYTHON, alembicIni: 'config/alembic.ini' },
  });
  assert.equal(ms[0]!.sql, 'ALTER TABLE users DROP COLUMN email;\n');
});

test('alembic: a broken env is a note on every pending revision, not a crash', async (t) => {
  const root = alembicProject(t);
  writeFileSync(join(root, 'migrations/env.py'), 'raise RuntimeError("env.py needs SECRET_KEY")\n');
  const ms = await read('alembic', join(root, 'migrations'), [{ version: 'b2', file: 'b2_drop_email.py' }], {
    root,
    details: { python: PYTHON },
  });
  assert.equal(ms[0]!.sql, undefined);
  assert.match(
    ms[0]!.notes[0]!,
    /alembic upgrade a1:b2 --sql failed: RuntimeError: env.py needs SECRET_KEY — rehearse it/,
  );
});

// --- Django (real sqlmigrate against a real database) -------------------------------------------------

function djangoProject(t: T): string {
  const migration = (deps: string, ops: string, extra = '') =>
    `from django.db import migrations, models\n\n\ndef fill(apps, schema_editor):\n    pass\n\n\nclass Migration(migrations.Migration):\n${extra}    dependencies = [${deps}]\n    operations = [\n${ops}\n    ]\n`;
  return project(t, {
    'manage.py':
      "import os, sys\nif __name__ == '__main__':\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site1.settings')\n    from django.core.management import execute_from_command_line\n    execute_from_command_line(sys.argv)\n",
    'site1/__init__.py': '',
    'site1/settings.py':
      "SECRET_KEY = 'x'\nINSTALLED_APPS = ['shop']\nDATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': 'not-used.db'}}\nUSE_TZ = True\n",
    'shop/__init__.py': '',
    'shop/migrations/__init__.py': '',
    'shop/migrations/0001_initial.py': migration(
      '',
      "        migrations.CreateModel(name='Item', fields=[('id', models.AutoField(primary_key=True)), ('title', models.CharField(max_length=50)), ('legacy', models.TextField(null=True))]),",
      '    initial = True\n',
    ),
    'shop/migrations/0002_remove_legacy.py': migration(
      "('shop', '0001_initial')",
      "        migrations.RemoveField(model_name='item', name='legacy'),",
    ),
    'shop/migrations/0003_fill.py': migration(
      "('shop', '0002_remove_legacy')",
      '        migrations.RunPython(fill),',
      '    atomic = False\n',
    ),
  });
}

test('django: real sqlmigrate per pending migration; RemoveField is destructive; RunPython is a note', async (t) => {
  const root = djangoProject(t);
  const db = await createTestDatabase();
  const ms = await read(
    'django',
    root,
    [
      { version: 'shop.0001_initial', file: 'shop/migrations/0001_initial.py' },
      { version: 'shop.0002_remove_legacy', file: 'shop/migrations/0002_remove_legacy.py' },
      { version: 'shop.0003_fill' },
    ],
    { details: { python: PYTHON }, databaseUrl: db.url },
  );
  assert.match(ms[0]!.sql!, /CREATE TABLE "shop_item"/);
  assert.match(ms[1]!.sql!, /ALTER TABLE "shop_item" DROP COLUMN "legacy" CASCADE;/);
  assert.ok(!/^(BEGIN|COMMIT);$/m.test(ms[0]!.sql! + ms[1]!.sql!), 'BEGIN/COMMIT stripped');
  assert.deepEqual(
    ms.map((m) => m.wrapped),
    [true, true, false],
  );
  assert.deepEqual(ms[2]!.files, [join(root, 'shop/migrations/0003_fill.py')]);
  assert.equal(ms[2]!.notes.length, 1);
  assert.match(
    ms[2]!.notes[0]!,
    /Raw Python operation: Python code that cannot be read as SQL — rehearse it/,
  );
  const f = await findings(ms);
  assert.ok(f[1]!.includes('destructive:ban-drop-column'), f[1]!.join());
  // The password travelled in the environment only; nothing of it is in what plan shows.
  const password = decodeURIComponent(new URL(db.url).password);
  assert.ok(!JSON.stringify(ms).includes(password));
});

test("invariant: the database password reaches Django's sqlmigrate through the environment, never argv", async (t) => {
  const root = djangoProject(t);
  const db = await createTestDatabase();
  const password = decodeURIComponent(new URL(db.url).password);
  // A python that records its argv and whether the password is in its environment, then runs the real one.
  const log = join(root, 'argv.log');
  const wrapper = join(root, 'python-wrapper.sh');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nprintf '%s\\n' "$0" "$@" >> ${JSON.stringify(log)}\nenv | grep -c -F -e "$PGWARD_PROBE" >> ${JSON.stringify(log)} || true\nexec ${PYTHON} "$@"\n`,
    { mode: 0o700 },
  );
  const before = process.env.PGWARD_PROBE;
  process.env.PGWARD_PROBE = password;
  t.after(() => {
    if (before === undefined) delete process.env.PGWARD_PROBE;
    else process.env.PGWARD_PROBE = before;
  });
  const ms = await read('django', root, [{ version: 'shop.0002_remove_legacy' }], {
    details: { python: wrapper },
    databaseUrl: db.url,
  });
  assert.match(ms[0]!.sql!, /DROP COLUMN "legacy"/);
  const recorded = readFileSync(log, 'utf8');
  const runs = recorded.split('\n').filter((l) => l === wrapper).length;
  assert.ok(runs >= 2, recorded); // the import probe and sqlmigrate itself
  const argvLines = recorded.split('\n').filter((l) => !/^\d+$/.test(l));
  assert.ok(!argvLines.some((l) => l.includes(password)), 'password in argv');
  // Each run saw the password in its environment (the probe variable itself plus the shim's variables).
  const envCounts = recorded
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
  assert.ok(envCounts[envCounts.length - 1]! >= 2, recorded);
});

test('django: without a database URL sqlmigrate cannot run, and every migration says so', async (t) => {
  const root = djangoProject(t);
  const ms = await read('django', root, [{ version: 'shop.0002_remove_legacy' }], {
    details: { python: PYTHON },
  });
  assert.equal(ms[0]!.sql, undefined);
  assert.match(ms[0]!.notes[0]!, /sqlmigrate needs a database connection/);
  assert.deepEqual(ms[0]!.files, [join(root, 'shop/migrations/0002_remove_legacy.py')]);
});

// --- What cannot be read is said, never passed over -------------------------------------------------------

test('invariant: a pending migration plan could not read is never shown as clean — it carries a note pointing to rehearse', async (t) => {
  const dir = project(t, {
    'rails/20240101000000_a.rb': 'puts "no migration class here"\n',
    'rails/20240101000001_b.rb': rb(
      '    Account.find_each { |a| a.touch }\n    if ENV["X"]\n      drop_table :x\n    end\n',
    ),
    'rails/20240101000002_c.rb':
      'class C < ActiveRecord::Migration[7.0]\n  def down\n    drop_table :x\n  end\nend\n',
    'knex/1_a.js': 'module.exports = { helper: () => 1 };\n',
    'knex/2_b.js': "exports.up = (knex) => knex.schema.alterTable('t', (t) => { t.magic('x'); });\n",
    'pgm/1_a.js': "exports.down = (pgm) => pgm.dropTable('t');\n",
    'pgm/2_b.js': 'exports.up = (pgm) => { pgm.sql(`DELETE FROM t WHERE id = ${id}`); };\n',
  });
  const sets: [StaticFramework, string, PendingRef[]][] = [
    [
      'rails',
      'rails',
      ['20240101000000_a.rb', '20240101000001_b.rb', '20240101000002_c.rb'].map((f) => ({
        version: f.slice(0, 14),
        file: f,
      })),
    ],
    ['knex', 'knex', ['1_a.js', '2_b.js'].map((f) => ({ version: f, file: f }))],
    ['node-pg-migrate', 'pgm', ['1_a.js', '2_b.js'].map((f) => ({ version: f.slice(0, 1), file: f }))],
  ];
  for (const [framework, sub, pending] of sets) {
    const ms = await read(framework, join(dir, sub), pending);
    assert.equal(ms.length, pending.length);
    for (const m of ms) {
      assert.ok(m.notes.length > 0, `${framework} ${m.version}: no note`);
      for (const n of m.notes) assert.match(n, /rehearse it: pgward rehearse$/);
    }
  }
  // A file that is gone by the time plan reads it is a note on that migration, not a crash of the plan.
  const [gone] = await read('prisma', dir, [
    { version: '20240101000000', file: '20240101000000_x/migration.sql' },
  ]);
  assert.equal(gone!.sql, undefined);
  assert.deepEqual(gone!.notes, [
    'cannot read 20240101000000_x/migration.sql (ENOENT): check what is pending with pgward status',
  ]);
  // The if-guarded drop_table is not translated as if it always ran, nor dropped silently.
  const [b] = await read('rails', join(dir, 'rails'), [
    { version: '20240101000001', file: '20240101000001_b.rb' },
  ]);
  assert.ok(!b!.sql!.includes('DROP TABLE'));
  assert.deepEqual(
    b!.notes.map((n) => n.split(':')[0]),
    ['line 3', 'line 4'],
  );
});
