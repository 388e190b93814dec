// The guard's fast path (Inspector.forwardsAsIs): statements relayed without being parsed must be ones
// that could never be refused — trivial statements and writes to the framework's own bookkeeping
// tables — and nothing that merely starts like one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOKKEEPING_TABLES } from '../src/frameworks/tracking.js';
import { policyInspector } from '../src/guard/inspect.js';

const inspector = policyInspector({
  policy: { destructive: 'block', blocking: 'block', pauseSeconds: 0 },
  env: 'production',
  control: undefined,
  serverVersionNum: 150000,
  approval: () => ({ approved: false, hint: 'pgward migrate --approve …' }),
  exempt: BOOKKEEPING_TABLES,
});
const ctx = { session: 1, inTransaction: true, protocol: 'simple' as const };

test('invariant: the guard relays unparsed only statements it could never refuse', async () => {
  const fast = [
    'SELECT 1',
    "INSERT INTO customers VALUES (1, 'a')",
    "UPDATE alembic_version SET version_num='b' WHERE alembic_version.version_num = 'a'",
    'TRUNCATE "public"."schema_migrations"',
    'UPDATE "_prisma_migrations" SET "logs" = $1 WHERE "id" = $2',
    'update "knex_migrations_lock" set "is_locked" = $1 where "is_locked" = $2',
  ];
  for (const sql of fast) assert.equal(inspector.forwardsAsIs!(sql, ctx), true, sql);
  const judged = [
    'TRUNCATE schema_migrations CASCADE',
    'TRUNCATE schema_migrations, customers',
    'UPDATE customers SET email = NULL',
    "UPDATE alembic_version SET version_num='b'; DROP TABLE customers",
    'DELETE FROM customers',
  ];
  for (const sql of judged) assert.equal(inspector.forwardsAsIs!(sql, ctx), false, sql);
  const verdict = await inspector.inspect(
    "UPDATE alembic_version SET version_num='b'; DROP TABLE customers",
    ctx,
  );
  assert.equal(
    verdict.action,
    'reject',
    'a bookkeeping statement does not carry a destructive one past the guard',
  );
});
