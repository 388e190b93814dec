// `pgward deploy rollback <id> --database restore --approve`: the pre-deploy backup (labelled with the
// deploy id) restored into a NEW database; production is neither dropped nor overwritten, and the
// switch is printed for a person to run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminQuery } from './harness/db.js';
import { deployProject } from './harness/deploy.js';
import { migration } from './harness/project.js';

test('invariant: deploy rollback --database restore restores the pre-deploy backup into a new database and never touches production', async () => {
  const p = await deployProject({
    migrations: {
      'db/migrations/001_users.sql': migration('CREATE TABLE users (id int PRIMARY KEY, email text);'),
      'db/migrations/002_drop_email.sql': migration('ALTER TABLE users DROP COLUMN email;'),
    },
    extra: 'backups:\n  storage: file://backups\n',
  });
  try {
    assert.equal((await p.run(['migrate', '--env', 'staging', '--to', '001'])).code, 0);
    await p.db.query("INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com')");
    p.app.health = 503;
    const r = await p.run(['deploy', '--env', 'staging', '--json']);
    assert.equal(r.code, 12, r.stderr);
    const doc = JSON.parse(r.stdout);
    const id = doc.deploy.id;
    assert.ok(doc.deploy.backupId, 'a pre-deploy backup was taken');
    assert.ok(
      doc.database.commands.includes(
        `pgward deploy rollback ${id} --env staging --database restore --approve`,
      ),
    );
    await p.db.query('INSERT INTO users VALUES (3)');
    const refused = await p.run(['deploy', 'rollback', id, '--env', 'staging', '--database', 'restore']);
    assert.equal(refused.code, 6, refused.stderr);
    assert.match(refused.stderr, /the restored copy will not hold 1 write\(s\) since the deploy/);
    const before = await adminQuery(p.db.cluster.url('postgres'), 'SELECT datname FROM pg_database');
    const done = await p.run([
      'deploy',
      'rollback',
      id,
      '--env',
      'staging',
      '--database',
      'restore',
      '--approve',
      '--json',
    ]);
    assert.equal(done.code, 0, done.stderr);
    const out = JSON.parse(done.stdout);
    assert.equal(out.restored.backupId, doc.deploy.backupId);
    assert.notEqual(out.restored.database, p.db.name);
    assert.match(
      out.nextSteps[0],
      new RegExp(`^pgward switch --env staging --to '.*${out.restored.database}'`),
    );
    // Production: same rows, same (migrated) schema, still there.
    assert.deepEqual(
      (await p.db.query('SELECT id FROM users ORDER BY id')).map((u) => u.id),
      [1, 2, 3],
    );
    const after = await adminQuery(p.db.cluster.url('postgres'), 'SELECT datname FROM pg_database');
    assert.ok(after.some((d) => d.datname === p.db.name));
    // (other tests create databases on the shared cluster meanwhile: compare by name)
    assert.ok(
      !before.some((d) => d.datname === out.restored.database),
      'the restore went into a new database',
    );
    assert.ok(after.some((d) => d.datname === out.restored.database));
    // The new database is the pre-deploy state: the email column and the two rows before the deploy.
    const copy = await adminQuery(
      p.db.cluster.url(out.restored.database),
      'SELECT id, email FROM users ORDER BY id',
    );
    assert.deepEqual(copy, [
      { id: 1, email: 'a@example.com' },
      { id: 2, email: 'b@example.com' },
    ]);
    await adminQuery(p.db.cluster.url('postgres'), `DROP DATABASE "${out.restored.database}"`);
  } finally {
    await p.close();
  }
});
