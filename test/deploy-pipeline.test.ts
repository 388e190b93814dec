// `pgward deploy` with the command provider against a real PostgreSQL, real shell deploy and rollback
// commands and an app server whose health each test sets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deployProject } from './harness/deploy.js';
import { migration } from './harness/project.js';

test('deploy: migrations applied, then the deploy command, then health verified; journaled step by step', async () => {
  const p = await deployProject({
    migrations: {
      'db/migrations/001_users.sql': migration(
        'CREATE TABLE users (id int PRIMARY KEY);',
        'DROP TABLE users;',
      ),
      'db/migrations/002_email.sql': migration(
        'ALTER TABLE users ADD COLUMN email text;',
        'ALTER TABLE users DROP COLUMN email;',
      ),
    },
  });
  try {
    const r = await p.run(['deploy', '--env', 'staging', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.deploy.status, 'succeeded');
    assert.deepEqual(
      doc.deploy.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`),
      ['preflight:done', 'backup:skipped', 'migrate:done', 'platform:done', 'verify:done'],
    );
    assert.deepEqual(p.deployed(), [doc.deploy.id]);
    assert.deepEqual(
      doc.deploy.migrations.map((m: { version: string; compatible: boolean }) => [m.version, m.compatible]),
      [
        ['001', true],
        ['002', true],
      ],
    );
    assert.match(r.stderr, /→ migrate/);
    const rows = await p.db.query('SELECT status, exit_code FROM pgward.deploys');
    assert.deepEqual(rows, [{ status: 'succeeded', exit_code: 0 }]);
    const list = await p.run(['deploy', 'list', '--env', 'staging', '--json']);
    assert.equal(JSON.parse(list.stdout).deploys[0].id, doc.deploy.id);
    const status = await p.run(['deploy', 'status', '--env', 'staging']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`deploy ${doc.deploy.id} of staging: succeeded`));
    // A second deploy with nothing pending still deploys the code.
    const again = await p.run(['deploy', '--env', 'staging']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(p.deployed().length, 2);
    assert.match(again.stdout, /nothing to migrate/);
  } finally {
    await p.close();
  }
});
