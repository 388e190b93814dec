// Every rule's own examples (bad must trigger it, good must not), and a table of statements with the
// categories and the rule ids pgward must report for them (research note §3 cases T1–T56 and more).
// Each rule's exact cases (line and lock) run in test/lint-rule-cases.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lintSql, RULES } from '../src/lint/index.js';
import { type Category, LOCK_MODES } from '../src/lint/types.js';

/** Examples with a migration marker are linted as pgward migrations; others as plain scripts. */
function lintExample(sql: string, pgVersion?: string) {
  const migration = /--\s*(migrate:up|pgward:no-transaction)/.test(sql);
  return lintSql(sql, { migration, ...(pgVersion ? { pgVersion } : {}) });
}

for (const rule of RULES) {
  test(`rule ${rule.id}: examples`, async () => {
    assert.ok(rule.examples.bad.length > 0, 'has bad examples');
    assert.ok(rule.examples.good.length > 0, 'has good examples');
    assert.ok(rule.message && rule.why && rule.fix, 'documents message, why and fix');
    for (const bad of rule.examples.bad) {
      const r = await lintExample(bad, rule.exampleOptions?.pgVersion);
      const hit = r.findings.find((f) => f.rule === rule.id);
      assert.ok(
        hit,
        `bad example must trigger ${rule.id}:\n${bad}\ngot: ${r.findings.map((f) => f.rule).join(', ')}`,
      );
      assert.equal(hit.category, rule.category);
      // The example is one of the rule's cases, whose first expected finding is this one exactly.
      const asCase = rule.cases.find((c) => c.sql === bad);
      assert.ok(asCase, `bad example of ${rule.id} is not among its cases:\n${bad}`);
      assert.deepEqual([hit.line, hit.lock], asCase.expect[0]);
    }
    for (const good of rule.examples.good) {
      const r = await lintExample(good, rule.exampleOptions?.pgVersion);
      assert.deepEqual(
        r.findings.filter((f) => f.rule === rule.id).map((f) => f.message),
        [],
        `good example must not trigger ${rule.id}:\n${good}`,
      );
    }
  });
}

type Severe = Extract<Category, 'destructive' | 'blocking' | 'breaking' | 'fails' | 'error'>;
const SEVERE: ReadonlySet<Category> = new Set(['destructive', 'blocking', 'breaking', 'fails', 'error']);
// [sql, expected severe categories, expected rule ids of the severe findings, options]:
// 'm' = pgward migration (wrapped), 'nt' = no-transaction migration, 'pgN' = target version.
type Case = [string, Severe[], string[], ('m' | 'nt' | `pg${number}`)?];

const CASES: Case[] = [
  // destructive
  ['DROP TABLE audit_old;', ['destructive'], ['ban-drop-table']],
  ['DROP TABLE IF EXISTS a, b CASCADE;', ['destructive'], ['ban-drop-table']],
  ['DROP SCHEMA reporting CASCADE;', ['destructive'], ['ban-drop-schema']],
  ['DROP DATABASE legacy;', ['destructive'], ['ban-drop-database']],
  ['DROP TYPE status CASCADE;', ['destructive'], ['ban-drop-type']],
  // without CASCADE the drop fails while anything uses the type: no data can be lost
  ['DROP TYPE status;', [], []],
  ['DROP DOMAIN positive_int CASCADE;', ['destructive'], ['ban-drop-type']],
  ['ALTER TABLE users DROP COLUMN legacy_flag;', ['destructive'], ['ban-drop-column']],
  ['ALTER TABLE users ADD COLUMN nickname text, DROP COLUMN legacy;', ['destructive'], ['ban-drop-column']],
  ['ALTER TABLE users DROP COLUMN IF EXISTS legacy CASCADE;', ['destructive'], ['ban-drop-column']],
  ['TRUNCATE accounts CASCADE;', ['destructive'], ['ban-truncate']],
  ['TRUNCATE TABLE sessions, tokens;', ['destructive'], ['ban-truncate']],
  ['DELETE FROM sessions;', ['destructive'], ['ban-delete-without-where']],
  ['UPDATE users SET active = true;', ['destructive'], ['ban-update-without-where']],
  ['DELETE FROM sessions WHERE expires_at < now();', [], []],
  ['UPDATE users SET active = true WHERE id < 1000;', [], []],
  // blocking: indexes
  ['CREATE INDEX idx_u_email ON users(email);', ['blocking'], ['require-concurrent-index-creation']],
  ['CREATE INDEX CONCURRENTLY idx_u_email ON users(email);', [], []],
  ['CREATE INDEX CONCURRENTLY idx_u_email ON users(email);', [], [], 'nt'],
  ['CREATE INDEX CONCURRENTLY idx_u_email ON users(email);', ['error'], ['requires-no-transaction'], 'm'],
  ['BEGIN; CREATE INDEX CONCURRENTLY i ON users(email); COMMIT;', ['error'], ['requires-no-transaction']],
  ['BEGIN; CREATE TABLE t2(id bigint); CREATE INDEX i2 ON t2(id); COMMIT;', [], []],
  ['CREATE TABLE t2(id bigint); CREATE INDEX i2 ON t2(id);', [], [], 'm'],
  [
    'CREATE UNIQUE INDEX u ON users(email);',
    ['blocking', 'fails'],
    ['require-concurrent-index-creation', 'unique-on-existing-data'],
  ],
  ['CREATE UNIQUE INDEX CONCURRENTLY u ON users(email);', ['fails'], ['unique-on-existing-data'], 'nt'],
  ['DROP INDEX idx_u_email;', ['blocking'], ['require-concurrent-index-deletion']],
  ['DROP INDEX CONCURRENTLY idx_u_email;', [], [], 'nt'],
  ['DROP INDEX CONCURRENTLY idx_u_email;', ['error'], ['requires-no-transaction'], 'm'],
  ['REINDEX INDEX idx_u_email;', ['blocking'], ['require-concurrent-reindex']],
  ['REINDEX TABLE users;', ['blocking'], ['require-concurrent-reindex']],
  ['REINDEX INDEX CONCURRENTLY idx_u_email;', [], [], 'nt'],
  // blocking: constraints
  [
    'ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id);',
    ['blocking'],
    ['adding-foreign-key-constraint'],
  ],
  ['ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID;', [], []],
  ['ALTER TABLE orders VALIDATE CONSTRAINT fk_user;', [], []],
  [
    'ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID; ALTER TABLE orders VALIDATE CONSTRAINT fk_user;',
    ['blocking'],
    ['validate-constraint-in-same-transaction'],
    'm',
  ],
  [
    'ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID; ALTER TABLE orders VALIDATE CONSTRAINT fk_user;',
    [],
    [],
    'nt',
  ],
  [
    'ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0);',
    ['blocking'],
    ['constraint-missing-not-valid'],
  ],
  ['ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;', [], []],
  [
    'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
    ['blocking', 'fails'],
    ['disallowed-unique-constraint', 'unique-on-existing-data'],
  ],
  ['ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_uq;', [], []],
  [
    'ALTER TABLE accounts ADD PRIMARY KEY (id);',
    ['blocking', 'fails'],
    ['adding-primary-key-constraint', 'unique-on-existing-data'],
  ],
  [
    'ALTER TABLE accounts ADD PRIMARY KEY USING INDEX accounts_id_uq;',
    ['blocking'],
    ['adding-primary-key-constraint'],
  ],
  [
    'ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);',
    ['blocking'],
    ['ban-exclusion-constraint'],
  ],
  [
    'ALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0);',
    ['blocking'],
    ['ban-alter-domain-with-add-constraint'],
  ],
  ['ALTER DOMAIN positive_int ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;', [], []],
  ['ALTER TABLE orders DROP CONSTRAINT fk_user;', ['breaking'], ['dropping-foreign-key']],
  ['ALTER TABLE orders DROP CONSTRAINT orders_total_check;', [], []],
  // blocking: columns
  ['ALTER TABLE users ADD COLUMN nickname text;', [], []],
  ['ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT false;', [], []],
  [
    'ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT false;',
    ['blocking'],
    ['adding-field-with-default'],
    'pg10',
  ],
  ['ALTER TABLE users ADD COLUMN note text DEFAULT NULL;', [], [], 'pg10'],
  [
    'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();',
    ['blocking'],
    ['adding-field-with-default'],
  ],
  ['ALTER TABLE users ADD COLUMN r float8 DEFAULT random();', ['blocking'], ['adding-field-with-default']],
  ['ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT now();', [], []],
  ['ALTER TABLE users ADD COLUMN seq_no bigserial;', ['blocking'], ['adding-serial-column']],
  [
    'ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;',
    ['blocking'],
    ['adding-serial-column'],
  ],
  [
    "ALTER TABLE users ADD COLUMN full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED;",
    ['blocking'],
    ['adding-stored-generated-column'],
  ],
  ['ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;', ['fails'], ['adding-required-field']],
  ['ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT 0;', [], []],
  ['ALTER TABLE users ADD COLUMN props json;', [], []],
  ['ALTER TABLE users ADD COLUMN code text UNIQUE;', ['blocking'], ['disallowed-unique-constraint']],
  ['ALTER TABLE users ADD COLUMN qty int CHECK (qty > 0);', ['blocking'], ['constraint-missing-not-valid']],
  ['ALTER TABLE users ALTER COLUMN id TYPE bigint;', ['blocking'], ['changing-column-type']],
  ['ALTER TABLE t ALTER COLUMN a TYPE integer USING a::integer;', ['blocking'], ['changing-column-type']],
  ['ALTER TABLE users ALTER COLUMN name TYPE text;', ['blocking'], ['changing-column-type']],
  ['ALTER TABLE users ALTER COLUMN email SET NOT NULL;', ['blocking'], ['adding-not-nullable-field']],
  ['ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;', [], []],
  [
    'ALTER TABLE users VALIDATE CONSTRAINT users_email_nn; ALTER TABLE users ALTER COLUMN email SET NOT NULL; ALTER TABLE users DROP CONSTRAINT users_email_nn;',
    ['blocking'],
    ['adding-not-nullable-field'],
  ],
  [
    'ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID; ALTER TABLE users VALIDATE CONSTRAINT users_email_nn; ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
    [],
    [],
    'nt',
  ],
  ['ALTER TABLE users ALTER COLUMN email DROP NOT NULL;', ['breaking'], ['ban-drop-not-null']],
  ["ALTER TABLE users ALTER COLUMN email SET DEFAULT '';", [], []],
  // blocking: table-level
  ['ALTER TABLE big SET TABLESPACE fast_ssd;', ['blocking'], ['rewriting-table-option']],
  ['ALTER TABLE big SET UNLOGGED;', ['blocking'], ['rewriting-table-option']],
  ['ALTER TABLE big SET LOGGED;', ['blocking'], ['rewriting-table-option']],
  ['ALTER TABLE big SET (fillfactor = 90);', [], []],
  ['VACUUM FULL big_table;', ['blocking'], ['prefer-repack']],
  ['VACUUM (ANALYZE) big_table;', [], []],
  ['VACUUM big_table;', ['error'], ['requires-no-transaction'], 'm'],
  ['CLUSTER big_table USING big_table_pkey;', ['blocking'], ['prefer-repack']],
  ['REFRESH MATERIALIZED VIEW mv;', ['blocking'], ['require-concurrent-refresh']],
  ['REFRESH MATERIALIZED VIEW CONCURRENTLY mv;', [], []],
  [
    'ALTER TABLE measurements DETACH PARTITION m_2020;',
    ['blocking'],
    ['require-concurrent-partition-detach'],
  ],
  ['ALTER TABLE measurements DETACH PARTITION m_2020 CONCURRENTLY;', [], [], 'nt'],
  [
    'ALTER TABLE measurements DETACH PARTITION m_2020 CONCURRENTLY;',
    ['error'],
    ['requires-no-transaction'],
    'm',
  ],
  [
    "ALTER TABLE parent ATTACH PARTITION p2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
    ['blocking'],
    ['attach-partition-scan'],
  ],
  ['LOCK TABLE users IN ACCESS EXCLUSIVE MODE;', ['blocking'], ['ban-lock-table']],
  ['LOCK TABLE users IN ACCESS SHARE MODE;', [], []],
  [
    'ALTER TABLE users ADD COLUMN active boolean; UPDATE users SET active = true WHERE active IS NULL;',
    ['blocking'],
    ['backfill-under-lock'],
    'm',
  ],
  [
    'BEGIN; ALTER TABLE users ADD COLUMN active boolean; UPDATE users SET active = true WHERE id > 0; COMMIT;',
    ['blocking'],
    ['backfill-under-lock'],
  ],
  [
    'ALTER TABLE users ADD COLUMN active boolean; UPDATE users SET active = true WHERE active IS NULL;',
    [],
    [],
    'nt',
  ],
  ['CREATE TRIGGER trg BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();', [], []],
  // breaking
  ['ALTER TABLE users RENAME COLUMN email TO email_address;', ['breaking'], ['renaming-column']],
  ['ALTER TABLE users RENAME TO customers;', ['breaking'], ['renaming-table']],
  ['ALTER TABLE users RENAME TO customers; CREATE VIEW users AS SELECT * FROM customers;', [], []],
  ['ALTER SCHEMA reporting RENAME TO analytics;', ['breaking'], ['renaming-schema']],
  ["ALTER TYPE status RENAME VALUE 'done' TO 'completed';", ['breaking'], ['renaming-enum-value']],
  ["ALTER TYPE status ADD VALUE 'archived';", [], []],
  ["BEGIN; ALTER TYPE status ADD VALUE 'archived'; COMMIT;", ['error'], ['requires-no-transaction'], 'pg11'],
  ["BEGIN; ALTER TYPE status ADD VALUE 'archived'; COMMIT;", [], []],
  // transaction hygiene and errors
  ['BEGIN; CREATE TABLE t3(id bigint);', ['error'], ['unbalanced-transaction']],
  ['COMMIT;', ['error'], ['unbalanced-transaction']],
  ['BEGIN; BEGIN; SELECT 1; COMMIT;', ['error'], ['unbalanced-transaction']],
  ['BEGIN; CREATE TABLE t3 (id bigint); COMMIT;', [], []],
  ['CREATE TABLE t3 (id bigint); COMMIT;', ['error'], ['transaction-control-in-migration'], 'm'],
  ['ALTER TABLE users ADD COLUMN;', ['error'], ['syntax-error']],
  // new tables are never blocking
  ['CREATE TABLE line_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders(id));', [], []],
  ['CREATE TABLE t4 (id serial PRIMARY KEY, name varchar(100), created timestamp);', [], []],
  [
    'CREATE TABLE t5 (id bigint); ALTER TABLE t5 ADD COLUMN c int NOT NULL; ALTER TABLE t5 ALTER COLUMN c TYPE bigint;',
    [],
    [],
    'm',
  ],
  ['CREATE TABLE t6 (id bigint); DROP TABLE t6;', [], [], 'm'],
  // DO blocks and dynamic SQL
  [
    "DO $$ BEGIN EXECUTE 'CREATE INDEX j ON orders(x)'; END $$;",
    ['blocking'],
    ['require-concurrent-index-creation'],
  ],
  ['DO $$ BEGIN ALTER TABLE orders DROP COLUMN y; END $$;', ['destructive'], ['ban-drop-column']],
  ["DO $$ BEGIN IF true THEN EXECUTE 'DROP TABLE x'; END IF; END $$;", ['destructive'], ['ban-drop-table']],
  ["DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'x'); END $$;", [], []],
  [
    'DO $$ BEGIN CREATE INDEX CONCURRENTLY k ON orders(x); END $$;',
    ['error'],
    ['requires-no-transaction'],
    'nt',
  ],
  // plain statements
  ['SELECT 1;', [], []],
  ['CREATE SCHEMA IF NOT EXISTS reporting;', [], []],
  ['CREATE VIEW v AS SELECT 1;', [], []],
  ["INSERT INTO settings (k, v) VALUES ('a', 'b');", [], []],
  ['GRANT SELECT ON users TO reader;', [], []],
  ['COMMENT ON TABLE users IS $$people$$;', [], []],
];

const KNOWN_LOCKS: ReadonlySet<string> = new Set(LOCK_MODES);

for (const [sql, expected, rules, opt] of CASES) {
  test(`categories ${JSON.stringify(expected)} (${opt ?? 'script'}): ${sql.slice(0, 80)}`, async () => {
    const text = opt === 'nt' ? `-- pgward:no-transaction\n${sql}` : sql;
    const pgVersion = opt?.startsWith('pg') ? opt.slice(2) : undefined;
    const r = await lintSql(text, {
      migration: opt === 'm' || opt === 'nt',
      ...(pgVersion ? { pgVersion } : {}),
    });
    const severe = r.findings.filter((f) => SEVERE.has(f.category));
    const explain = r.findings.map((f) => `${f.rule}: ${f.message}`).join('\n');
    const got = [...new Set(severe.map((f) => f.category))].sort();
    assert.deepEqual(got, [...expected].sort(), explain);
    assert.deepEqual([...new Set(severe.map((f) => f.rule))].sort(), [...rules].sort(), explain);
    for (const f of r.findings) assert.ok(KNOWN_LOCKS.has(f.lock), `${f.rule}: unknown lock "${f.lock}"`);
  });
}

test('every file in src/lint/rules is a registered rule named after its file', async () => {
  const { readdirSync } = await import('node:fs');
  const files = readdirSync(new URL('../src/lint/rules/', import.meta.url))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  assert.deepEqual(RULES.map((r) => r.id).sort(), files);
});

test('invariant: every rule of a severe category is expected by at least one row of the table', () => {
  const expected = new Set(CASES.flatMap(([, , rules]) => rules));
  const missing = RULES.filter((r) => SEVERE.has(r.category) && !expected.has(r.id)).map((r) => r.id);
  assert.deepEqual(missing, []);
});

test('docs/lint.md documents every rule', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../docs/lint.md', import.meta.url), 'utf8');
  for (const r of RULES) assert.ok(doc.includes(`\`${r.id}\``), `docs/lint.md lacks ${r.id}`);
});
