// pgward import from JSON files: the seed's two kinds (settings, state) end to end through a migration
// written by --emit-migration; validation (schemas, syntax with file:line:column, non-UTF-8 with the byte
// offset, collisions) before anything is written; --dry-run; --skip-invalid with a reject file; a huge
// document; NDJSON; a run killed with SIGKILL resumed; a second run changing nothing.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImportResult } from '../src/import/import.js';
import { createTestDatabase, type TestDatabase } from './harness/db.js';
import { makeProject, ROOT, runCli, writeFile } from './harness/project.js';

const FIX = join(ROOT, 'test', 'fixtures', 'import');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A project on a fresh database: pgward.yaml with the seed's schemas, the json_store migration applied. */
async function project(extraYaml = ''): Promise<{ dir: string; db: TestDatabase }> {
  const db = await createTestDatabase();
  const dir = makeProject({
    'pgward.yaml': `environments:\n  dev:\n    url: ${db.url}\ndefault_env: dev\nimport:\n  schemas:\n    settings: schemas/settings.schema.json\n    state: schemas/state.schema.json\n${extraYaml}`,
  });
  dirs.push(dir);
  cpSync(join(FIX, 'schemas'), join(dir, 'schemas'), { recursive: true });
  cpSync(join(FIX, 'seed'), join(dir, 'data'), { recursive: true });
  const emitted = await runCli(['import', '--emit-migration'], { cwd: dir });
  assert.equal(emitted.code, 0, emitted.stderr);
  const migrated = await runCli(['migrate'], { cwd: dir });
  assert.equal(migrated.code, 0, migrated.stderr);
  return { dir, db };
}

const json = (stdout: string) => JSON.parse(stdout) as ImportResult;
const rows = async (db: TestDatabase) =>
  (await db.query(
    'SELECT kind, data::text AS data, updated_at, xmin::text AS xmin FROM json_store ORDER BY kind',
  )) as Array<{
    kind: string;
    data: string;
    updated_at: Date;
    xmin: string;
  }>;

describe('import from JSON files', () => {
  let seed: { dir: string; db: TestDatabase };
  before(async () => {
    seed = await project();
  });

  it("imports the seed's settings and state through a migration, proven by counts and hashes", async () => {
    const mig = readFileSync(
      join(
        seed.dir,
        'db',
        'migrations',
        (await import('node:fs')).readdirSync(join(seed.dir, 'db', 'migrations'))[0]!,
      ),
      'utf8',
    );
    assert.match(
      mig,
      /CREATE TABLE "json_store" \(\n {2}"kind" text PRIMARY KEY,\n {2}"data" jsonb NOT NULL/,
    );
    const r = await runCli(['import', 'data', '--json'], { cwd: seed.dir });
    assert.equal(r.code, 0, r.stderr);
    const doc = json(r.stdout);
    assert.equal(doc.status, 'imported');
    assert.deepEqual(doc.written, { inserted: 2, updated: 0, unchanged: 0, batches: 1 });
    assert.equal(doc.proof?.match, true);
    assert.equal(doc.proof?.total.sourceCount, 2);
    assert.equal(doc.proof?.total.targetCount, 2);
    assert.deepEqual(doc.proof?.kinds.map((k) => k.kind).sort(), ['settings', 'state']);
    const got = await rows(seed.db);
    assert.deepEqual(
      got.map((x) => x.kind),
      ['settings', 'state'],
    );
    assert.deepEqual(
      JSON.parse(got[0]!.data),
      JSON.parse(readFileSync(join(FIX, 'seed', 'settings.json'), 'utf8')),
    );
  });

  it('invariant: running an import twice changes nothing', async () => {
    const before = await rows(seed.db);
    const r = await runCli(['import', 'data', '--json'], { cwd: seed.dir });
    assert.equal(r.code, 0, r.stderr);
    const doc = json(r.stdout);
    assert.deepEqual(doc.written, { inserted: 0, updated: 0, unchanged: 2, batches: 1 });
    assert.equal(doc.proof?.match, true);
    // not even rewritten with the same value: same row versions, same updated_at
    assert.deepEqual(await rows(seed.db), before);
  });

  it('a changed document is updated, and only that one', async () => {
    writeFile(seed.dir, 'data/state.json', '{"last_run":"2026-02-01T00:00:00Z","errors":["x"]}');
    const r = await runCli(['import', 'data'], { cwd: seed.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /0 inserted, 1 updated, 1 unchanged/);
    assert.match(r.stdout, /proof: 2\/2 rows match/);
  });

  it('exits 10 when the target does not hold what the source holds (a trigger rewrites a row)', async () => {
    const { dir, db } = await project();
    await db.query(`CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.kind = 'state' THEN NEW.data := NEW.data || '{"tampered": true}'; END IF; RETURN NEW; END $$`);
    await db.query(
      'CREATE TRIGGER tamper BEFORE INSERT OR UPDATE ON json_store FOR EACH ROW EXECUTE FUNCTION tamper()',
    );
    const r = await runCli(['import', 'data'], { cwd: dir });
    assert.equal(r.code, 10, r.stdout + r.stderr);
    assert.match(r.stdout, /proof failed: source 2 rows/);
    assert.match(r.stdout, /state: content differs/);
    assert.doesNotMatch(r.stdout, /settings: content differs/);
  });

  it('refuses, naming the migration to write, when the table does not exist', async () => {
    const db = await createTestDatabase();
    const dir = makeProject({ 'a.json': '{"x":1}' });
    dirs.push(dir);
    const r = await runCli(['import', 'a.json', '--url', db.url], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /table json_store does not exist/);
    assert.match(r.stderr, /pgward import --emit-migration/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe('validation before anything is written', () => {
  it('invariant: an import never writes anything when validation fails', async () => {
    const { dir, db } = await project();
    writeFile(dir, 'data/settings.json', '{"automation_enabled": "yes"}');
    const r = await runCli(['import', 'data'], { cwd: dir });
    assert.equal(r.code, 13, r.stderr);
    assert.match(r.stdout, /settings\.json: does not match the schema for settings: .*poll_interval_seconds/);
    assert.match(r.stdout, /\/automation_enabled must be boolean/);
    assert.match(r.stdout, /nothing written/);
    assert.deepEqual(await rows(db), []);
    const runs = await db.query("SELECT to_regclass('pgward.import_runs') AS t");
    assert.equal(runs[0]!.t, null, 'not even a checkpoint table');
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const { dir, db } = await project();
    const r = await runCli(['import', 'data', '--dry-run'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 records, 2 keys, 0 invalid/);
    assert.match(r.stdout, /dry run: nothing written; 2 records would be imported/);
    assert.deepEqual(await rows(db), []);
  });

  it('reports syntax errors with file:line:column, truncated and non-UTF-8 files; --skip-invalid rejects them', async () => {
    const { dir, db } = await project();
    writeFile(dir, 'data/broken.json', '{\n  "a": 1,\n  "b": tru\n}\n');
    writeFile(dir, 'data/truncated.json', '{\n  "a": [1, 2,\n');
    writeFileSync(
      join(dir, 'data', 'latin1.json'),
      Buffer.concat([Buffer.from('{"name": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
    );
    const r = await runCli(['import', 'data', '--dry-run'], { cwd: dir });
    assert.equal(r.code, 13);
    assert.match(r.stdout, /JSON syntax error at data\/broken\.json:3:\d+/);
    assert.match(r.stdout, /JSON syntax error at data\/truncated\.json:\d+:\d+/);
    assert.match(r.stdout, /latin1\.json: not UTF-8: invalid byte 0xe9 at byte offset 13/);
    assert.match(r.stdout, /5 records, 2 keys, 3 invalid/);

    const skip = await runCli(['import', 'data', '--skip-invalid', '--reject-file', 'rejects.ndjson'], {
      cwd: dir,
    });
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(skip.stdout, /2 inserted/);
    const rejects = readFileSync(join(dir, 'rejects.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(rejects.map((x) => x.key).sort(), ['broken', 'latin1', 'truncated']);
    assert.ok(rejects.every((x) => typeof x.reason === 'string' && x.reason.length > 0));
    assert.deepEqual(
      (await rows(db)).map((x) => x.kind),
      ['settings', 'state'],
    );
  });

  it('refuses two files that map to one key, even with --skip-invalid', async () => {
    const { dir, db } = await project();
    writeFile(dir, 'data/old/settings.json', '{"automation_enabled": false, "poll_interval_seconds": 60}');
    const r = await runCli(['import', 'data', '--skip-invalid'], { cwd: dir });
    assert.equal(r.code, 13);
    assert.match(
      r.stdout,
      /key collision: settings also comes from data\/old\/settings\.json|key collision: settings also comes from data\/settings\.json/,
    );
    assert.deepEqual(await rows(db), []);
    const byPath = await runCli(['import', 'data', '--kind-from', 'path', '--dry-run'], { cwd: dir });
    assert.equal(byPath.code, 0, byPath.stdout);
  });

  it('imports a huge document and NDJSON keyed by a field, with line numbers for bad lines', async () => {
    const { dir, db } = await project();
    const big = {
      items: Array.from({ length: 60_000 }, (_, i) => ({
        id: i,
        name: `item ${i}`,
        tags: ['a', 'b'],
        v: i / 7,
      })),
    };
    writeFile(dir, 'big/huge.json', JSON.stringify(big));
    const r = await runCli(['import', 'big', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json(r.stdout).proof?.match, true);
    const lines = ['{"id":"a","n":1}', '', '{"id":"b","n":2}', '{"id":"c", "n": }'];
    writeFile(dir, 'nd/rows.ndjson', `${lines.join('\n')}\n`);
    const bad = await runCli(['import', 'nd', '--kind-from', 'field:id', '--dry-run'], { cwd: dir });
    assert.equal(bad.code, 13);
    assert.match(bad.stdout, /JSON syntax error at nd\/rows\.ndjson:4:\d+/);
    const ok = await runCli(
      ['import', 'nd', '--kind-from', 'field:id', '--skip-invalid', '--reject-file', 'r.ndjson'],
      { cwd: dir },
    );
    assert.equal(ok.code, 0, ok.stderr);
    const kinds = (await rows(db)).map((x) => x.kind);
    assert.deepEqual(kinds, ['a', 'b', 'huge']);
  });
});
