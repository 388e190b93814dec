// The lint truth suite: statements whose lock or rewrite lint judges, run on a real server inside a
// transaction that is rolled back, with what the server really did (pg_locks of the session's own
// backend, pg_class.relfilenode before and after) set beside what lint says for that major.
import type pg from 'pg';
import { loadSchemaFacts } from '../../src/db/schema-facts.js';
import { lintPrepared, prepareSql } from '../../src/lint/index.js';
import { statementLock } from '../../src/lint/locks.js';
import type { LockMode } from '../../src/lint/types.js';

/** Committed once per major; each case then runs alone in a transaction that is rolled back. */
export const TRUTH_SETUP = `
CREATE TABLE parent (id int PRIMARY KEY);
INSERT INTO parent SELECT g FROM generate_series(1, 100) g;
CREATE TABLE t (id int PRIMARY KEY, a int, v varchar(10), s text, ts timestamp, n numeric(10,2), p int, j json,
  nn int NOT NULL DEFAULT 1);
INSERT INTO t SELECT g, g, 'v' || g, 's' || g, '2024-01-01'::timestamp + g * interval '1 hour', g, g, '{}'
  FROM generate_series(1, 100) g;
CREATE INDEX t_a ON t (a);
CREATE INDEX t_v ON t (v);
ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0) NOT VALID;
ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p) REFERENCES parent (id) NOT VALID;
CREATE TABLE pt (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (10);
CREATE TABLE pt_2 (id int NOT NULL, k int);
CREATE UNIQUE INDEX pt_2_id ON pt_2 (id);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM parent;
CREATE FUNCTION noop_trg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER t_noop BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION noop_trg();
`;

export interface TruthCase {
  name: string;
  sql: string;
  /** The table whose relfilenode tells whether it was rewritten. */
  table: string;
  minMajor?: number;
  /** Run after SET LOCAL TimeZone = ... (for timestamp → timestamptz). */
  timeZone?: string;
  /** relfilenode changes (or goes) for another reason than a rewrite lint could warn of (TRUNCATE, DROP). */
  noRewriteClaim?: boolean;
}

const add = (name: string, sql: string, extra: Partial<TruthCase> = {}): TruthCase => ({
  name,
  sql,
  table: 't',
  ...extra,
});

export const TRUTH_CASES: readonly TruthCase[] = [
  add('ADD COLUMN nullable, no default', 'ALTER TABLE t ADD COLUMN c int'),
  add('ADD COLUMN with a constant default', 'ALTER TABLE t ADD COLUMN c int DEFAULT 0'),
  add('ADD COLUMN NOT NULL with a constant default', "ALTER TABLE t ADD COLUMN c text NOT NULL DEFAULT 'x'"),
  add('ADD COLUMN with a stable default (now())', 'ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()'),
  add('ADD COLUMN with a volatile default (random())', 'ALTER TABLE t ADD COLUMN c float8 DEFAULT random()'),
  add('ADD COLUMN with gen_random_uuid()', 'ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()'),
  add(
    'ADD COLUMN with clock_timestamp()',
    'ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp()',
  ),
  add('ADD COLUMN bigserial', 'ALTER TABLE t ADD COLUMN c bigserial'),
  add(
    'ADD COLUMN GENERATED ALWAYS AS IDENTITY',
    'ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY',
  ),
  add('ADD COLUMN GENERATED ... STORED', 'ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) STORED'),
  add(
    'ADD COLUMN GENERATED ... VIRTUAL (18)',
    'ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) VIRTUAL',
    {
      minMajor: 18,
    },
  ),
  add('ADD COLUMN with a CHECK', 'ALTER TABLE t ADD COLUMN c int CHECK (c > 0)'),
  add('ADD COLUMN ... PRIMARY KEY (on pt_2)', 'ALTER TABLE pt_2 ADD COLUMN c serial PRIMARY KEY', {
    table: 'pt_2',
  }),
  add('ALTER COLUMN TYPE int → bigint', 'ALTER TABLE t ALTER COLUMN a TYPE bigint'),
  add('ALTER COLUMN TYPE int → int (same type)', 'ALTER TABLE t ALTER COLUMN a TYPE int'),
  add('ALTER COLUMN TYPE varchar(10) → varchar(20)', 'ALTER TABLE t ALTER COLUMN v TYPE varchar(20)'),
  add('ALTER COLUMN TYPE varchar(10) → varchar(5)', 'ALTER TABLE t ALTER COLUMN v TYPE varchar(5)'),
  add('ALTER COLUMN TYPE varchar(10) → text', 'ALTER TABLE t ALTER COLUMN v TYPE text'),
  add('ALTER COLUMN TYPE text → varchar(50)', 'ALTER TABLE t ALTER COLUMN s TYPE varchar(50)'),
  add('ALTER COLUMN TYPE numeric(10,2) → numeric(12,2)', 'ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2)'),
  add('ALTER COLUMN TYPE numeric(10,2) → numeric(12,4)', 'ALTER TABLE t ALTER COLUMN n TYPE numeric(12,4)'),
  add('ALTER COLUMN TYPE numeric(10,2) → numeric', 'ALTER TABLE t ALTER COLUMN n TYPE numeric'),
  add('ALTER COLUMN TYPE json → jsonb', 'ALTER TABLE t ALTER COLUMN j TYPE jsonb'),
  add('ALTER COLUMN TYPE ... USING', 'ALTER TABLE t ALTER COLUMN a TYPE int USING a + 1'),
  add(
    'ALTER COLUMN TYPE timestamp → timestamptz, TimeZone not UTC',
    'ALTER TABLE t ALTER COLUMN ts TYPE timestamptz',
    { timeZone: 'America/New_York' },
  ),
  add('SET NOT NULL', 'ALTER TABLE t ALTER COLUMN a SET NOT NULL'),
  add('DROP NOT NULL', 'ALTER TABLE t ALTER COLUMN nn DROP NOT NULL'),
  add('SET DEFAULT', 'ALTER TABLE t ALTER COLUMN a SET DEFAULT 5'),
  add('SET STATISTICS', 'ALTER TABLE t ALTER COLUMN a SET STATISTICS 200'),
  add('ALTER COLUMN SET (n_distinct)', 'ALTER TABLE t ALTER COLUMN a SET (n_distinct = 100)'),
  add('SET (fillfactor)', 'ALTER TABLE t SET (fillfactor = 70)'),
  add('SET (autovacuum_enabled)', 'ALTER TABLE t SET (autovacuum_enabled = off)'),
  add('ADD CONSTRAINT CHECK NOT VALID', 'ALTER TABLE t ADD CONSTRAINT c_chk CHECK (a < 1000) NOT VALID'),
  add('ADD CONSTRAINT CHECK (validated)', 'ALTER TABLE t ADD CONSTRAINT c_chk CHECK (a < 1000)'),
  add('VALIDATE CONSTRAINT (check)', 'ALTER TABLE t VALIDATE CONSTRAINT t_a_pos'),
  add('VALIDATE CONSTRAINT (foreign key)', 'ALTER TABLE t VALIDATE CONSTRAINT t_p_fk'),
  add(
    'ADD FOREIGN KEY NOT VALID',
    'ALTER TABLE t ADD CONSTRAINT t_a_fk FOREIGN KEY (a) REFERENCES parent (id) NOT VALID',
  ),
  add(
    'ADD FOREIGN KEY (validated)',
    'ALTER TABLE t ADD CONSTRAINT t_a_fk FOREIGN KEY (a) REFERENCES parent (id)',
  ),
  add('ADD CONSTRAINT UNIQUE', 'ALTER TABLE t ADD CONSTRAINT t_a_uq UNIQUE (a)'),
  add('DROP CONSTRAINT', 'ALTER TABLE t DROP CONSTRAINT t_a_pos'),
  add('DROP COLUMN', 'ALTER TABLE t DROP COLUMN s'),
  add('RENAME COLUMN', 'ALTER TABLE t RENAME COLUMN s TO s2'),
  add('RENAME TABLE', 'ALTER TABLE t RENAME TO t2'),
  add('CREATE INDEX', 'CREATE INDEX t_s ON t (s)'),
  add('CREATE UNIQUE INDEX', 'CREATE UNIQUE INDEX t_id2 ON t (id)'),
  add('DROP INDEX', 'DROP INDEX t_a', { table: 't' }),
  add('REINDEX TABLE', 'REINDEX TABLE t'),
  add('CREATE TRIGGER', 'CREATE TRIGGER t_trg BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION noop_trg()'),
  add('SET UNLOGGED', 'ALTER TABLE t SET UNLOGGED'),
  add('SET LOGGED on a logged table', 'ALTER TABLE t SET LOGGED'),
  add('SET ACCESS METHOD heap (15+)', 'ALTER TABLE t SET ACCESS METHOD heap', { minMajor: 15 }),
  add('CLUSTER', 'CLUSTER t USING t_pkey'),
  add('TRUNCATE', 'TRUNCATE t CASCADE', { noRewriteClaim: true }),
  add('LOCK TABLE IN SHARE MODE', 'LOCK TABLE t IN SHARE MODE'),
  add('REFRESH MATERIALIZED VIEW', 'REFRESH MATERIALIZED VIEW mv', { table: 'mv' }),
  add('ATTACH PARTITION', 'ALTER TABLE pt ATTACH PARTITION pt_2 FOR VALUES FROM (10) TO (20)', {
    table: 'pt',
  }),
  add('DETACH PARTITION', 'ALTER TABLE pt DETACH PARTITION pt_1', { table: 'pt' }),
  add(
    'ADD PRIMARY KEY USING INDEX',
    'ALTER TABLE pt_2 ADD CONSTRAINT pt_2_pk PRIMARY KEY USING INDEX pt_2_id',
    {
      table: 'pt_2',
    },
  ),
  add('ADD UNIQUE USING INDEX', 'ALTER TABLE pt_2 ADD CONSTRAINT pt_2_uq UNIQUE USING INDEX pt_2_id', {
    table: 'pt_2',
  }),
  add('DISABLE TRIGGER ALL', 'ALTER TABLE t DISABLE TRIGGER ALL'),
  add('ENABLE TRIGGER', 'ALTER TABLE t ENABLE TRIGGER t_noop'),
  add('ENABLE REPLICA TRIGGER', 'ALTER TABLE t ENABLE REPLICA TRIGGER t_noop'),
  add('REPLICA IDENTITY FULL', 'ALTER TABLE t REPLICA IDENTITY FULL'),
  add('ALTER COLUMN SET STORAGE', 'ALTER TABLE t ALTER COLUMN s SET STORAGE EXTERNAL'),
  add('ALTER COLUMN SET COMPRESSION (14+)', 'ALTER TABLE t ALTER COLUMN s SET COMPRESSION pglz', {
    minMajor: 14,
  }),
  add('ADD CONSTRAINT NOT NULL NOT VALID (18)', 'ALTER TABLE t ADD CONSTRAINT t_a_nn NOT NULL a NOT VALID', {
    minMajor: 18,
  }),
  add('CREATE INDEX on a partitioned table', 'CREATE INDEX pt_k ON pt (k)', { table: 'pt' }),
  add('DROP TABLE', 'DROP TABLE pt_2', { table: 'pt_2', noRewriteClaim: true }),
  add(
    'two subcommands: ADD COLUMN, SET NOT NULL',
    'ALTER TABLE t ADD COLUMN c int, ALTER COLUMN a SET NOT NULL',
  ),
];

/** Rules whose finding says the table is rewritten. */
export const REWRITE_RULES = new Set([
  'adding-field-with-default',
  'adding-serial-column',
  'adding-stored-generated-column',
  'changing-column-type',
  'rewriting-table-option',
  'prefer-repack',
  'adding-primary-key-constraint',
  // REFRESH without CONCURRENTLY fills a new heap and swaps it in: the view is rewritten under ACCESS EXCLUSIVE
  'require-concurrent-refresh',
]);

const MODE_NAMES: Record<string, LockMode> = {
  AccessShareLock: 'ACCESS SHARE',
  RowShareLock: 'ROW SHARE',
  RowExclusiveLock: 'ROW EXCLUSIVE',
  ShareUpdateExclusiveLock: 'SHARE UPDATE EXCLUSIVE',
  ShareLock: 'SHARE',
  ShareRowExclusiveLock: 'SHARE ROW EXCLUSIVE',
  ExclusiveLock: 'EXCLUSIVE',
  AccessExclusiveLock: 'ACCESS EXCLUSIVE',
};
const RANK: LockMode[] = Object.values(MODE_NAMES);

export interface Observed {
  /** Strongest lock the statement's session holds on each relation of schema public. */
  locks: Record<string, LockMode>;
  rewritten: boolean;
}

/** Runs the case in a transaction on `client`, reads what it took, rolls back. */
export async function observe(client: pg.Client, c: TruthCase): Promise<Observed> {
  await client.query('BEGIN');
  try {
    if (c.timeZone) await client.query(`SET LOCAL TimeZone = '${c.timeZone}'`);
    // Names by oid from before the statement: a dropped index or a renamed table is still the same lock.
    const before = await client.query<{ oid: string; relname: string; relfilenode: string }>(
      "SELECT oid::int8::text AS oid, relname, relfilenode::int8::text AS relfilenode FROM pg_class WHERE relnamespace = 'public'::regnamespace",
    );
    const names = new Map(before.rows.map((r) => [r.oid, r.relname]));
    const table = before.rows.find((r) => r.relname === c.table);
    if (!table) throw new Error(`no table ${c.table}`);
    await client.query(c.sql);
    const { rows } = await client.query<{ oid: string; relname: string | null; mode: string }>(
      `SELECT l.relation::int8::text AS oid, c.relname, l.mode
         FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation
        WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    const locks: Record<string, LockMode> = {};
    for (const r of rows) {
      const mode = MODE_NAMES[r.mode];
      const name = names.get(r.oid);
      if (!mode || !name) continue; // catalogs and relations created by the statement itself
      if (!locks[name] || RANK.indexOf(mode) > RANK.indexOf(locks[name])) locks[name] = mode;
    }
    const after = await client.query<{ relfilenode: string }>(
      'SELECT relfilenode::int8::text AS relfilenode FROM pg_class WHERE oid = $1::int8::oid',
      [table.oid],
    );
    return { locks, rewritten: after.rows[0]?.relfilenode !== table.relfilenode };
  } finally {
    await client.query('ROLLBACK');
  }
}

export interface Claim {
  /** statementLock: the strongest lock lint says the statement takes, and on what. */
  lock: { mode: LockMode; relation: string } | undefined;
  /** Locks stated by findings, per relation (bare name). */
  findingLocks: { rule: string; mode: LockMode; relation: string }[];
  /** Rules that say the table is rewritten. */
  rewriteRules: string[];
}

const bare = (name: string) => name.slice(name.lastIndexOf('.') + 1).toLowerCase();

/** What lint says about the case for this major, with the live database's facts. */
export async function claim(client: pg.Client, c: TruthCase, major: number): Promise<Claim> {
  const input = await prepareSql(`${c.sql};`);
  const schemaFacts = await loadSchemaFacts(client, input.needs);
  const report = lintPrepared(input, { schemaFacts, pgVersion: String(major) });
  const stmt = input.units[0]!.sections[0]!.stmts[0]!;
  const lock = statementLock(stmt);
  const findings = report.files[0]!.findings;
  return {
    lock: lock ? { mode: lock.mode, relation: bare(lock.relation) } : undefined,
    findingLocks: findings
      .filter((f) => f.lock !== 'none' && f.relation)
      .map((f) => ({ rule: f.rule, mode: f.lock, relation: bare(f.relation) })),
    rewriteRules: findings.filter((f) => REWRITE_RULES.has(f.rule)).map((f) => f.rule),
  };
}

/** Every way lint and the server disagree on this case (empty: they agree). */
export function disagreements(c: TruthCase, o: Observed, cl: Claim): string[] {
  const out: string[] = [];
  if (!cl.lock) out.push('lint names no lock for the statement');
  else {
    const seen = o.locks[cl.lock.relation];
    if (seen !== cl.lock.mode)
      out.push(`lock on ${cl.lock.relation}: lint says ${cl.lock.mode}, the server took ${seen ?? 'none'}`);
  }
  for (const f of cl.findingLocks) {
    const seen = o.locks[f.relation];
    if (seen !== undefined && seen !== f.mode)
      out.push(`[${f.rule}] says ${f.mode} on ${f.relation}, the server took ${seen}`);
  }
  if (!c.noRewriteClaim) {
    const says = cl.rewriteRules.length > 0;
    if (says !== o.rewritten)
      out.push(
        says
          ? `lint says ${c.table} is rewritten [${cl.rewriteRules.join(', ')}], the server did not rewrite it`
          : `the server rewrote ${c.table}, lint does not say so`,
      );
  }
  return out;
}
