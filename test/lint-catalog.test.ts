// Catalog awareness, end to end on a real PostgreSQL: sizes and ranking, binary-coercible type changes,
// validated NOT NULL checks, empty and not-yet-existing tables, volatility from pg_proc, index tables.
// The facts are read by src/db/schema-facts.ts and handed to the (pure) lint, as the CLI and migrate do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSchemaFacts } from '../src/db/schema-facts.js';
import { lintPrepared, prepareSql } from '../src/lint/index.js';
import { createTestDatabase } from './harness/db.js';

/** Lints SQL against the database at `url`: prepare, read the facts it needs there, analyse. */
async function lintLive(sql: string, url: string, options: { migration?: boolean } = {}) {
  const input = await prepareSql(sql, options);
  return lintPrepared(input, { schemaFacts: await readSchemaFacts(url, input.needs) });
}

async function seeded() {
  const db = await createTestDatabase();
  await db.query(`
    CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100), email text, code varchar(10), n int, payload numeric(10,2));
    INSERT INTO users SELECT g, 'n' || g, 'e' || g, 'c', g, g FROM generate_series(1, 20000) g;
    CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, note text);
    INSERT INTO orders SELECT g, g % 100 + 1, 'x' FROM generate_series(1, 2000) g;
    CREATE INDEX orders_user_id_idx ON orders(user_id);
    CREATE TABLE empty_t (id bigint, v text);
    ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL);
    CREATE FUNCTION my_volatile() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 1';
    CREATE FUNCTION my_stable() RETURNS int LANGUAGE sql STABLE AS 'SELECT 1';
    ANALYZE users; ANALYZE orders;
  `);
  return db;
}

test('catalog-aware lint: sizes, coercible types, NOT NULL checks, empty and new tables', async () => {
  const db = await seeded();
  const lint = async (sql: string) => (await lintLive(sql, db.url, { migration: true })).files[0]!;

  // size in the message, and the ranking puts the bigger table first
  const r = await lint('CREATE INDEX a ON orders(note);\nCREATE INDEX b ON users(email);');
  const idx = r.findings.filter((f) => f.rule === 'require-concurrent-index-creation');
  assert.match(idx[1]!.message, /users: 20\.0k rows, \d+(\.\d)? (kB|MB)/);
  assert.match(idx[0]!.message, /orders: 2\.0k rows/);

  // varchar → text and varchar(100) → varchar(200) are not rewrites; shrinking or int → bigint are
  const types = await lint(
    'ALTER TABLE users ALTER COLUMN name TYPE text;\nALTER TABLE users ALTER COLUMN code TYPE varchar(20);\nALTER TABLE users ALTER COLUMN code TYPE varchar(5);\nALTER TABLE users ALTER COLUMN n TYPE bigint;\nALTER TABLE users ALTER COLUMN payload TYPE numeric(12,2);',
  );
  assert.deepEqual(
    types.findings.filter((f) => f.rule === 'changing-column-type').map((f) => f.line),
    [3, 4],
  );
  assert.match(types.findings.find((f) => f.line === 4)!.message, /integer → int8 rewrites users/);

  // a validated CHECK (email IS NOT NULL) makes SET NOT NULL cheap; name has none
  const nn = await lint(
    'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users ALTER COLUMN name SET NOT NULL;',
  );
  assert.deepEqual(
    nn.findings.filter((f) => f.rule === 'adding-not-nullable-field').map((f) => f.line),
    [2],
  );

  // empty table: blocking downgraded to info; a table that does not exist yet: treated as new
  const e = await lint(
    'CREATE INDEX c ON empty_t(v);\nALTER TABLE empty_t ADD COLUMN k bigint NOT NULL;\nCREATE INDEX d ON not_created_yet(x);',
  );
  for (const f of e.findings.filter((x) => x.category === 'blocking' || x.category === 'fails'))
    assert.equal(f.severity, 'info', f.message);
  assert.match(e.findings.find((f) => f.line === 1)!.message, /empty_t is empty/);
  assert.match(e.findings.find((f) => f.line === 3)!.message, /does not exist in the database yet/);

  // volatility from pg_proc for functions the static list does not know
  const v = await lint(
    'ALTER TABLE users ADD COLUMN a int DEFAULT my_volatile();\nALTER TABLE users ADD COLUMN b int DEFAULT my_stable();',
  );
  assert.deepEqual(
    v.findings.filter((f) => f.rule === 'adding-field-with-default').map((f) => [f.line, f.severity]),
    [[1, 'error']],
  );

  // DROP INDEX names only the index: the catalog tells which table is locked
  const d = await lint('DROP INDEX orders_user_id_idx;');
  assert.equal(
    d.findings.find((f) => f.rule === 'require-concurrent-index-deletion')!.relation,
    'orders (index orders_user_id_idx)',
  );

  // foreign key covered by an existing index: no finding; uncovered: finding
  const fk = await lint(
    'ALTER TABLE orders ADD CONSTRAINT o_u FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;\nALTER TABLE empty_t ADD CONSTRAINT e_u FOREIGN KEY (id) REFERENCES users(id) NOT VALID;',
  );
  assert.deepEqual(
    fk.findings.filter((f) => f.rule === 'foreign-key-without-index').map((f) => f.line),
    [2],
  );
});

test('the connected server version is the default target version', async () => {
  const db = await createTestDatabase();
  const [{ v }] = (await db.query("SELECT current_setting('server_version_num') AS v")) as [{ v: string }];
  const r = await lintLive('SELECT 1;', db.url);
  assert.equal(r.files[0]!.statements, 1);
  // The summary names the server's own version (major.minor), not the newest pgward knows.
  const num = Number(v);
  assert.equal(r.summary.pgVersion, `${Math.floor(num / 10000)}.${num % 100}`);
  assert.equal(r.summary.connected, true);
  // an ADD COLUMN with a constant default is a rewrite only before 11, so the verdict follows the server
  const add = await lintLive('ALTER TABLE users ADD COLUMN x int DEFAULT 1;', db.url);
  assert.equal(
    add.files[0]!.findings.some((f) => f.rule === 'adding-field-with-default'),
    num < 110000,
  );
});
