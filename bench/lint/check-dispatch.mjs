// Checks the rules' `subtypes` declarations, on which the analyser relies to skip rules on ALTER TABLE
// statements: a rule skipped on a statement (none of its subcommand types present) must find nothing
// there, whatever the context. Runs every such rule anyway on the ALTER TABLE statements of the bench
// corpus, of every rule example and of a list covering the ALTER TABLE subcommands, under several
// contexts, and fails if one of them returns a hit.
//
//   npm run build && node bench/lint/check-dispatch.mjs [extra .sql files...]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPLATES } from './templates.mjs';

const DIST = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist');
const { ensureParser } = await import(join(DIST, 'sql', 'parser.js'));
const { prepareSection } = await import(join(DIST, 'lint', 'analyze.js'));
const { RULES } = await import(join(DIST, 'lint', 'rules', 'index.js'));
const { cmdsOf } = await import(join(DIST, 'lint', 'support', 'helpers.js'));
await ensureParser();

// One of each ALTER TABLE form a rule might care about (and some none does).
const FORMS = [
  'ALTER TABLE t ADD COLUMN a int',
  'ALTER TABLE t ADD COLUMN IF NOT EXISTS a bigserial PRIMARY KEY UNIQUE CHECK (a > 0) REFERENCES p(id)',
  "ALTER TABLE t ADD COLUMN a varchar(10) NOT NULL DEFAULT 'x'",
  'ALTER TABLE t ADD COLUMN a timestamp GENERATED ALWAYS AS (now()) STORED',
  'ALTER TABLE t DROP COLUMN a',
  'ALTER TABLE t DROP COLUMN IF EXISTS a CASCADE',
  'ALTER TABLE t ALTER COLUMN a TYPE text',
  'ALTER TABLE t ALTER COLUMN a TYPE char(3) USING a::char(3)',
  'ALTER TABLE t ALTER COLUMN a TYPE json',
  'ALTER TABLE t ALTER COLUMN a SET NOT NULL',
  'ALTER TABLE t ALTER COLUMN a DROP NOT NULL',
  'ALTER TABLE t ALTER COLUMN a SET DEFAULT now()',
  'ALTER TABLE t ALTER COLUMN a DROP DEFAULT',
  'ALTER TABLE t ALTER COLUMN a ADD GENERATED ALWAYS AS IDENTITY',
  'ALTER TABLE t ALTER COLUMN a SET STATISTICS 100',
  'ALTER TABLE t ALTER COLUMN a SET STORAGE EXTERNAL',
  'ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL)',
  'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID',
  'ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES p(id)',
  'ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES p(id) NOT VALID',
  'ALTER TABLE t ADD CONSTRAINT c UNIQUE (a)',
  'ALTER TABLE t ADD CONSTRAINT c PRIMARY KEY (a)',
  'ALTER TABLE t ADD CONSTRAINT c PRIMARY KEY USING INDEX i',
  'ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX i',
  'ALTER TABLE t ADD CONSTRAINT c EXCLUDE USING gist (a WITH &&)',
  'ALTER TABLE t VALIDATE CONSTRAINT c',
  'ALTER TABLE t DROP CONSTRAINT t_a_fkey',
  'ALTER TABLE t DROP CONSTRAINT IF EXISTS c',
  'ALTER TABLE t SET TABLESPACE fast',
  'ALTER TABLE t SET LOGGED',
  'ALTER TABLE t SET UNLOGGED',
  'ALTER TABLE t SET (fillfactor = 70)',
  'ALTER TABLE t RESET (fillfactor)',
  'ALTER TABLE t SET ACCESS METHOD heap2',
  'ALTER TABLE t CLUSTER ON i',
  'ALTER TABLE t SET WITHOUT CLUSTER',
  'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
  'ALTER TABLE t DISABLE TRIGGER ALL',
  'ALTER TABLE t OWNER TO bob',
  'ALTER TABLE t INHERIT p',
  'ALTER TABLE t NO INHERIT p',
  'ALTER TABLE t REPLICA IDENTITY FULL',
  'ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (1) TO (10)',
  'ALTER TABLE p DETACH PARTITION p1',
  'ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY',
  'ALTER TABLE t ADD COLUMN a int, DROP COLUMN b, ALTER COLUMN c TYPE bigint, ADD CONSTRAINT d UNIQUE (a)',
  'ALTER INDEX i SET TABLESPACE fast',
  'ALTER SEQUENCE s OWNER TO bob',
  'ALTER VIEW v OWNER TO bob',
  'ALTER MATERIALIZED VIEW m SET TABLESPACE fast',
  'ALTER FOREIGN TABLE f ADD COLUMN a int',
];

const texts = [FORMS.join(';\n')];
for (const t of TEMPLATES) for (const n of [0, 7, 123]) texts.push(t.sql(n));
for (const r of RULES) texts.push(...r.examples.bad, ...r.examples.good);
for (const f of process.argv.slice(2)) texts.push(readFileSync(f, 'utf8'));

// Contexts at both ends of every switch a rule reads; `yes` sets claim to contain everything.
const yes = { has: () => true, get: () => 'truncate', size: 1, [Symbol.iterator]: [][Symbol.iterator] };
const contexts = [];
for (const pgVersion of [10, 17])
  for (const flag of [false, true])
    for (const sets of [new Set(), yes])
      contexts.push({
        pgVersion,
        pgVersionNum: undefined,
        inTransaction: flag,
        explicitTx: flag,
        pgwardRunner: !flag,
        wrapped: flag,
        lockTimeoutSet: flag,
        statementTimeoutSet: flag,
        isNew: () => false,
        columnsAddedInFile: sets,
        emptiedInFile: sets.size ? sets : new Map(),
        exclusiveHeld: sets,
        notNullCheckedInFile: new Set(),
        notValidInTx: sets,
        altersBefore: () => 1,
        statements: [],
        index: 0,
        facts: { indexLeads: new Map() },
        catalog: undefined,
      });

const guarded = RULES.filter((r) => r.subtypes !== undefined);
let statements = 0;
let calls = 0;
const failures = [];
for (const text of texts) {
  const p = prepareSection({ text, startLine: 1, wrapped: false, pgwardRunner: false });
  for (const s of p.stmts) {
    if (s.kind !== 'AlterTableStmt') continue;
    statements++;
    const present = new Set(cmdsOf(s).map((c) => c.subtype));
    for (const r of guarded) {
      if (r.subtypes.some((t) => present.has(t))) continue;
      for (const ctx of contexts) {
        calls++;
        let hits = [];
        try {
          hits = r.check(s, { ...ctx, statements: [s, s] });
        } catch {
          // The analyser drops a rule that throws: same as no hit.
        }
        if (hits.length > 0) failures.push(`${r.id} skipped but fires on: ${s.sql}`);
      }
    }
  }
}
for (const f of new Set(failures)) console.log(f);
console.log(
  `${guarded.length} rules declare subtypes; ${statements} ALTER TABLE statements, ${calls} skipped-rule calls: ${failures.length ? 'FAILED' : 'none fires'}`,
);
process.exitCode = failures.length ? 1 : 0;
