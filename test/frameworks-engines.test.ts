// `pgward migrate` in front of the engines that cannot be installed here — Prisma's schema engine,
// golang-migrate and Flyway — reproduced by the scripts under test/fixtures/engines/ (each documents the
// source it follows). For each: the engine applies its migrations behind the guard; a destructive
// statement in a pending migration is refused in production before the engine starts (its SQL file is
// read as the engine sends it), so nothing of that migration applies and the engine's bookkeeping shows
// none of a failed run's residue; `--approve <version>` applies exactly that one.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, ROOT, runCli, writeFile } from './harness/project.js';

const ENGINES = join(ROOT, 'test', 'fixtures', 'engines');

interface Engine {
  framework: 'prisma' | 'golang-migrate' | 'flyway';
  dir: string;
  command: string[];
  /** Files of migration n (1-based) with the given SQL, and the version pgward names it by. */
  add(root: string, n: number, name: string, sql: string): string;
  /** The tracking table's rows, as text, in order. */
  tracking: string;
}

const ENGINE_LIST: Engine[] = [
  {
    framework: 'prisma',
    dir: 'prisma/migrations',
    command: [process.execPath, join(ENGINES, 'prisma-migrate.mjs'), 'migrate', 'deploy'],
    add(root, n, name, sql) {
      const folder = `2026010100000${n}_${name}`;
      writeFile(root, `prisma/migrations/${folder}/migration.sql`, `-- ${name}\n${sql}\n`);
      return `2026010100000${n}`;
    },
    tracking: `SELECT migration_name || ':' || (finished_at IS NOT NULL) || ':' || (rolled_back_at IS NOT NULL) || ':' || (logs IS NOT NULL) AS v FROM _prisma_migrations ORDER BY started_at`,
  },
  {
    framework: 'golang-migrate',
    dir: 'db/migrations',
    command: [
      'sh',
      '-c',
      `exec "${process.execPath}" "${join(ENGINES, 'golang-migrate.mjs')}" -path db/migrations -database "$DATABASE_URL" up`,
    ],
    add(root, n, name, sql) {
      writeFile(root, `db/migrations/00000${n}_${name}.up.sql`, `${sql}\n`);
      writeFile(root, `db/migrations/00000${n}_${name}.down.sql`, '-- not used forward\n');
      return String(n);
    },
    tracking: `SELECT version::text || ':' || dirty AS v FROM schema_migrations`,
  },
  {
    framework: 'flyway',
    dir: 'sql',
    command: [process.execPath, join(ENGINES, 'flyway.mjs'), 'migrate'],
    add(root, n, name, sql) {
      writeFile(root, `sql/V${n}__${name}.sql`, `${sql}\n`);
      return String(n);
    },
    tracking: `SELECT version || ':' || success AS v FROM flyway_schema_history ORDER BY installed_rank`,
  },
];

function project(e: Engine, db: TestDatabase): string {
  const files: Record<string, string> = {
    'pgward.yaml': [
      'migrations:',
      `  framework: ${e.framework}`,
      `  dir: ${e.dir}`,
      `  command: ${JSON.stringify(e.command)}`,
      'environments:',
      '  production:',
      `    url: ${db.url}`,
      '',
    ].join('\n'),
  };
  if (e.framework === 'prisma')
    files['prisma/schema.prisma'] =
      'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n';
  if (e.framework === 'flyway') files['flyway.conf'] = 'flyway.locations=filesystem:sql\n';
  return makeProject(files);
}

const migrate = (root: string, ...args: string[]) =>
  runCli(['migrate', '--env', 'production', '--json', ...args], { cwd: root });

async function tracked(e: Engine, db: TestDatabase): Promise<string[]> {
  return (await db.query(e.tracking).catch(() => [])).map((r) => String(r.v));
}

for (const e of ENGINE_LIST) {
  test(`invariant: ${e.framework} (reproduced engine) — a destructive statement is refused in production, nothing of its migration applies, the engine's history is what the real one leaves, and --approve applies exactly it`, async (t) => {
    const db = await createTestDatabase();
    const root = project(e, db);
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const v1 = e.add(
      root,
      1,
      'customers',
      "CREATE TABLE customers (id int primary key, email text);\nINSERT INTO customers VALUES (1, 'a@b.c');",
    );
    const first = await migrate(root);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.deepEqual(JSON.parse(first.stdout).applied, [v1]);

    const v2 = e.add(
      root,
      2,
      'drop_email',
      'CREATE TABLE side (id int);\nALTER TABLE customers DROP COLUMN email;',
    );
    const refused = await migrate(root);
    assert.equal(refused.code, 6, refused.stderr + refused.stdout);
    const doc = JSON.parse(refused.stdout);
    // A SQL-file engine's migration is read as it will be sent: the gate refuses it before the engine
    // starts, so the engine leaves none of the residue a failed run would (Prisma's failed row,
    // golang-migrate's dirty flag).
    assert.deepEqual(doc.blocked, [v2], refused.stdout);
    assert.equal(doc.command, undefined, 'the engine was not started');
    assert.deepEqual(doc.applied, []);
    const cols = await db.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'",
    );
    assert.ok(
      cols.some((c) => c.column_name === 'email'),
      'the column is still there',
    );
    assert.equal(
      (await db.query("SELECT to_regclass('side') AS r"))[0]!.r,
      null,
      'nothing of the migration applied',
    );
    const after = await tracked(e, db);
    if (e.framework === 'prisma') assert.deepEqual(after, [`${v1}_customers:true:false:false`]);
    if (e.framework === 'golang-migrate') assert.deepEqual(after, ['1:false']);
    if (e.framework === 'flyway') assert.deepEqual(after, ['1:true']);
    const status = await runCli(['status', '--env', 'production', '--json'], { cwd: root });
    const entries = JSON.parse(status.stdout).entries ?? JSON.parse(status.stdout).migrations;
    const second = entries.find((x: { version: string }) => x.version === v2);
    assert.equal(second.state, 'pending', status.stdout);

    const approved = await migrate(root, '--approve', v2);
    assert.equal(approved.code, 0, approved.stderr + approved.stdout);
    assert.deepEqual(JSON.parse(approved.stdout).applied, [v2]);
    const cols2 = await db.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'",
    );
    assert.ok(!cols2.some((c) => c.column_name === 'email'), 'the approved migration applied');
    assert.notEqual((await db.query("SELECT to_regclass('side') AS r"))[0]!.r, null);
    const final = await tracked(e, db);
    if (e.framework === 'prisma')
      assert.deepEqual(final, [`${v1}_customers:true:false:false`, `${v2}_drop_email:true:false:false`]);
    if (e.framework === 'golang-migrate') assert.deepEqual(final, ['2:false']);
    if (e.framework === 'flyway') assert.deepEqual(final, ['1:true', '2:true']);
  });
}
