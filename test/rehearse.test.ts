// pgward rehearse: production on one cluster, the scratch copy on another (rehearsal.server).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cluster, startCluster } from './harness/cluster.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, migration, runCli } from './harness/project.js';

let prodCluster: Cluster;
let rehearsalCluster: Cluster;
let prod: TestDatabase;

const base = migration(
  `CREATE TABLE accounts (id bigint PRIMARY KEY, email text, balance int);
INSERT INTO accounts SELECT g, 'a' || g || '@x.example', g FROM generate_series(1, 20000) g;`,
);

before(async () => {
  [prodCluster, rehearsalCluster] = await Promise.all([startCluster(), startCluster()]);
  prod = await createTestDatabase(prodCluster);
});
after(() => {
  prodCluster?.stop();
  rehearsalCluster?.stop();
});

function project(files: Record<string, string>, extra = ''): string {
  return makeProject({
    'pgward.yaml': `environments:
  production:
    url: ${prod.url}
rehearsal:
  server: ${rehearsalCluster.url('postgres')}
  max_lock_seconds: 600
${extra}`,
    'db/migrations/20240101000000_accounts.sql': base,
    ...Object.fromEntries(Object.entries(files).map(([k, v]) => [`db/migrations/${k}`, v])),
  });
}

async function scratchDatabases(): Promise<string[]> {
  const rows = await adminQuery(
    rehearsalCluster.url('postgres'),
    "SELECT datname FROM pg_database WHERE datname LIKE 'pgward_rehearse%'",
  );
  return rows.map((r) => r.datname as string);
}

describe('rehearse', () => {
  before(async () => {
    const dir = project({});
    const r = await runCli(['migrate', '--env', 'production'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
  });

  it('invariant: on a lock tie between a table and its indexes the table is the worst lock, every time', async () => {
    // Index names sort before the table's, so neither map order nor name order can make the table win.
    await prod.query(`CREATE TABLE zz_tie (id int PRIMARY KEY, a int, b int);
      INSERT INTO zz_tie SELECT g, g, g FROM generate_series(1, 2000) g;
      CREATE INDEX aa_tie_a ON zz_tie (a); CREATE INDEX aa_tie_b ON zz_tie (b);`);
    try {
      const dir = project({
        '20240201000000_tie.sql': migration('ALTER TABLE zz_tie ALTER COLUMN a TYPE bigint;'),
      });
      for (let i = 0; i < 3; i++) {
        const r = await runCli(['rehearse', '--env', 'production', '--json'], { cwd: dir });
        assert.equal(r.code, 0, r.stderr);
        const m = JSON.parse(r.stdout).migrations.find(
          (x: { version: string }) => x.version === '20240201000000',
        );
        const ties = m.locks.filter(
          (l: { heldMs: number; mode: string }) =>
            l.heldMs === m.worstLock.heldMs && l.mode === m.worstLock.mode,
        );
        assert.ok(ties.length > 1, 'the table and its indexes tie');
        assert.equal(m.worstLock.relation, 'public.zz_tie');
      }
    } finally {
      await prod.query('DROP TABLE zz_tie');
    }
  });

  it('traces a table rewrite: ACCESS EXCLUSIVE on the table, its held time, the rewrite, rows; production untouched', async () => {
    const dir = project({
      '20240201000000_rewrite.sql': migration(
        `ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;
UPDATE accounts SET email = lower(email) WHERE id <= 100;
ALTER TABLE accounts ADD CONSTRAINT balance_positive CHECK (balance >= 0) NOT VALID;
ALTER TABLE accounts VALIDATE CONSTRAINT balance_positive;`,
      ),
    });
    const r = await runCli(['rehearse', '--env', 'production', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, true);
    const m = doc.migrations.find((x: { version: string }) => x.version === '20240201000000');
    assert.equal(m.status, 'applied');
    assert.equal(m.worstLock.mode, 'AccessExclusiveLock');
    assert.equal(m.worstLock.relation, 'public.accounts');
    assert.equal(m.worstLock.line, 2);
    assert.ok(
      m.worstLock.heldMs > 0 && m.worstLock.heldMs >= m.statements[0].ms,
      'held from its statement to COMMIT',
    );
    assert.ok(m.rewrites.includes('public.accounts'), 'relfilenode change seen');
    assert.ok(m.rewrites.includes('public.accounts_pkey (index)'));
    assert.equal(m.statements[1].rows, 100);
    assert.equal(m.rowsAffected, 100);
    assert.deepEqual(
      m.constraints.map(
        (c: { name: string; action: string; validated: boolean }) => `${c.action}:${c.name}:${c.validated}`,
      ),
      ['added:balance_positive:false', 'validated:balance_positive:true'],
    );
    // production was not migrated; the copy is gone
    const applied = await prod.query(
      "SELECT version FROM pgward.migrations WHERE version = '20240201000000'",
    );
    assert.equal(applied.length, 0);
    assert.deepEqual(await scratchDatabases(), []);

    const human = await runCli(['rehearse', '--env', 'production'], { cwd: dir });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /ACCESS EXCLUSIVE on public\.accounts \(\d+\.\d+s\)/);
    assert.match(human.stdout, /rewrote public\.accounts/);
    const md = await runCli(['rehearse', '--env', 'production', '--format', 'markdown'], { cwd: dir });
    assert.match(md.stdout, /\| 20240201000000_rewrite \| [\d.]+s \| ACCESS EXCLUSIVE on public\.accounts/);
  });

  it('exceeding the budget exits 9 and says which lock', async () => {
    const dir = project({
      '20240201000000_rewrite.sql': migration('ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;'),
    });
    const { writeFileSync, readFileSync } = await import('node:fs');
    const cfg = `${dir}/pgward.yaml`;
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('max_lock_seconds: 600', 'max_lock_seconds: 0'));
    const r = await runCli(['rehearse', '--env', 'production'], { cwd: dir });
    assert.equal(r.code, 9, r.stderr + r.stdout);
    assert.match(r.stdout, /over budget/);
    assert.match(r.stdout, /ACCESS EXCLUSIVE on public\.accounts held [\d.]+s > 0s/);
  });

  it('a failing migration fails the rehearsal (exit 1) with its line, later ones not run, copy dropped', async () => {
    const dir = project({
      '20240301000000_bad.sql': migration(
        'ALTER TABLE accounts ADD COLUMN tier int;\nALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;',
      ),
      '20240401000000_after.sql': migration('CREATE TABLE later (id int);'),
    });
    const r = await runCli(['rehearse', '--env', 'production', '--json'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    const [bad, later] = doc.migrations;
    assert.equal(bad.verdict, 'failed');
    assert.equal(bad.error.line, 3);
    assert.match(bad.error.message, /contains null values/);
    assert.equal(later.verdict, 'not run');
    assert.deepEqual(await scratchDatabases(), []);
  });

  it('needs a rehearsal server other than the environment’s own', async () => {
    const dir = makeProject({
      'pgward.yaml': `environments:\n  production:\n    url: ${prod.url}\n`,
      'db/migrations/20240101000000_accounts.sql': base,
    });
    const none = await runCli(['rehearse', '--env', 'production'], { cwd: dir });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no rehearsal server/);
    const same = await runCli(['rehearse', '--env', 'production', '--server', prodCluster.url('postgres')], {
      cwd: dir,
    });
    assert.equal(same.code, 2);
    assert.match(same.stderr, /own server/);
  });
});

void createTestDatabase;
