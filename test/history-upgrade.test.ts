// Databases migrated by an earlier pgward have history tables without the direction columns that
// partial rollbacks and rollback approvals need. Reading them must keep working; the first run that
// takes the migration lock upgrades them in place, and every earlier approval stays an approval to apply.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { createTestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';

const OLD_DDL = `
CREATE SCHEMA pgward;
CREATE TABLE pgward.migrations (
  version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer NOT NULL, applied_by text NOT NULL,
  db_user text NOT NULL DEFAULT current_user, pgward_version text NOT NULL, approval jsonb);
CREATE TABLE pgward.approvals (
  version text NOT NULL, checksum text NOT NULL, approved_by text NOT NULL,
  approved_at timestamptz NOT NULL DEFAULT now(), env text, findings jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (version, checksum));
CREATE TABLE pgward.partial_migrations (
  version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, statements_total integer NOT NULL,
  statements_done integer NOT NULL DEFAULT 0, failed_line integer, error text,
  started_at timestamptz NOT NULL DEFAULT now());
`;

test('invariant: a history written by an older pgward is read as it is and upgraded in place; its approvals stay approvals to apply', async () => {
  const db = await createTestDatabase();
  const drop = migration(
    'CREATE TABLE t (id int);\nDROP TABLE legacy;',
    'DROP TABLE t;\nCREATE TABLE legacy (id int);',
  );
  const dir = makeProject({
    'pgward.yaml':
      'environments:\n  production:\n    url: ${DB_URL}\n    policy:\n      backup_before_migrate: false\n',
    'db/migrations/1_drop.sql': drop,
  });
  const env = { DB_URL: db.url };
  await db.query(`${OLD_DDL}; CREATE TABLE legacy (id int)`);
  const checksum = createHash('sha256').update(drop).digest('hex');
  await db.query(
    "INSERT INTO pgward.approvals (version, checksum, approved_by) VALUES ('1', $1, 'old pgward')",
    [checksum],
  );

  const status = await runCli(['status', '--env', 'production'], { cwd: dir, env });
  assert.equal(status.code, 3, status.stderr);
  const dry = await runCli(['migrate', '--env', 'production', '--dry-run', '--json'], { cwd: dir, env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(JSON.parse(dry.stdout).gates[0].approval.approvedBy, 'old pgward');

  const m = await runCli(['migrate', '--env', 'production'], { cwd: dir, env });
  assert.equal(m.code, 0, m.stderr);
  const rows = await db.query('SELECT version, direction, approved_by FROM pgward.approvals');
  assert.deepEqual(rows, [{ version: '1', direction: 'up', approved_by: 'old pgward' }]);
  // the old approval to apply does not approve the rollback
  const rb = await runCli(['rollback', '--env', 'production'], { cwd: dir, env });
  assert.equal(rb.code, 6, rb.stderr);
  const ok = await runCli(['rollback', '--env', 'production', '--approve', '1'], { cwd: dir, env });
  assert.equal(ok.code, 0, ok.stderr);
  const after = await db.query('SELECT direction FROM pgward.approvals ORDER BY direction');
  assert.deepEqual(
    after.map((r) => r.direction),
    ['down', 'up'],
  );
});
