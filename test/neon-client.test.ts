// The Neon client against the local Neon API simulator (test/harness/neon-sim.ts): branches that are real
// databases, operations polled to the end, 423/503 retried, 429 backed off with Retry-After, one-line
// errors with request_id, the direct (never -pooler) connection URI, restore with preserve_under_name.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PgwardError } from '../src/errors.js';
import { NeonClient } from '../src/platform/neon/client.js';
import { orphanBranch, ownBranchName } from '../src/platform/neon/setup.js';
import type { NeonBranch } from '../src/platform/neon/types.js';
import { redact } from '../src/redact.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './harness/db.js';
import { type NeonSim, startNeonSim } from './harness/neon-sim.js';

let sim: NeonSim;
let prod: TestDatabase;
const fast = { pollMs: 10, retryBaseMs: 10 };
const client = (extra: Partial<ConstructorParameters<typeof NeonClient>[0]> = {}) =>
  new NeonClient({ apiKey: sim.apiKey, apiUrl: sim.url, ...fast, ...extra });

async function failure(p: Promise<unknown>): Promise<PgwardError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PgwardError, String(err));
    return err;
  }
  assert.fail('expected a PgwardError');
}

before(async () => {
  prod = await createTestDatabase();
  await prod.query(
    'CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items SELECT g, g::text FROM generate_series(1, 50) g',
  );
  sim = await startNeonSim({ cluster: prod.cluster, pollsToFinish: 3 });
  sim.addBranch({ database: prod.name, name: 'production' });
});
after(async () => {
  await sim.close();
});

describe('neon client', () => {
  it('creates a branch of production, polls its operations to the end, connects directly, deletes it', async () => {
    const c = client();
    const parent = await c.findBranch(sim.projectId, 'production');
    const created = await c.createBranch(sim.projectId, { parentId: parent.id, name: 'pgward-test-1' });
    const opPolls = sim.requests.filter((r) => r.path.includes('/operations/'));
    assert.ok(opPolls.length >= 3, `operations polled: ${opPolls.length}`);
    assert.ok(
      sim
        .operations()
        .filter((o) => o.branchId === created.branch.id)
        .every((o) => o.status === 'finished'),
    );
    const uri = await c.connectionUri(sim.projectId, {
      branchId: created.branch.id,
      database: 'neondb',
      role: 'neondb_owner',
    });
    const uriReq = sim.requests.find((r) => r.path.includes('/connection_uri'));
    assert.match(uriReq?.path ?? '', /pooled=false/);
    const rows = await adminQuery(uri, 'SELECT count(*)::int AS n FROM items');
    assert.equal(rows[0]?.n, 50);
    assert.equal(await c.deleteBranch(sim.projectId, created.branch.id), 'deleted');
    assert.equal(sim.branch('pgward-test-1'), undefined);
    assert.equal(await c.deleteBranch(sim.projectId, created.branch.id), 'gone');
  });

  it('refuses a -pooler host for its own session work', async () => {
    const c = client();
    const parent = await c.findBranch(sim.projectId, 'production');
    const b = await c.createBranch(sim.projectId, { parentId: parent.id, name: 'pgward-test-pooler' });
    sim.faults.poolerUri(true);
    try {
      const e = await failure(
        c.connectionUri(sim.projectId, { branchId: b.branch.id, database: 'neondb', role: 'r' }),
      );
      assert.match(e.message, /-pooler/);
      assert.match(e.hint ?? '', /direct/);
    } finally {
      sim.faults.poolerUri(false);
      await c.deleteBranch(sim.projectId, b.branch.id);
    }
  });

  it('a failed operation is an error naming its action', async () => {
    const c = client();
    const parent = await c.findBranch(sim.projectId, 'production');
    sim.faults.failNextOperation();
    const e = await failure(c.createBranch(sim.projectId, { parentId: parent.id, name: 'pgward-test-fail' }));
    assert.match(e.message, /^Neon operation create_timeline \([0-9a-f-]+\) failed: simulated failure/);
    await c.deleteBranch(sim.projectId, sim.branch('pgward-test-fail')?.id ?? 'x');
  });

  it('retries 423 and 503 on a POST, backs off 429 with Retry-After', async () => {
    const c = client();
    const parent = await c.findBranch(sim.projectId, 'production');
    const mark = sim.requests.length;
    const since = () => sim.requests.slice(mark);
    sim.faults.status(2, 423, { method: 'POST' });
    const a = await c.createBranch(sim.projectId, { parentId: parent.id, name: 'pgward-test-423' });
    assert.equal(since().filter((r) => r.status === 423).length, 2);
    sim.faults.status(2, 503, { method: 'DELETE' });
    assert.equal(await c.deleteBranch(sim.projectId, a.branch.id), 'deleted');
    assert.equal(since().filter((r) => r.status === 503).length, 2);
    sim.faults.status(1, 429, { retryAfterSeconds: 0.05 });
    await c.listBranches(sim.projectId);
    assert.equal(since().filter((r) => r.status === 429).length, 1);
  });

  it('a 423 that never clears ends in one line with the request_id', async () => {
    const c = client({ maxRetries: 2 });
    sim.faults.status(3, 423);
    const e = await failure(c.listBranches(sim.projectId));
    assert.match(
      e.message,
      /^Neon API GET \/projects\/[^ ]+\/branches: 423 locked resource is locked \(request_id [0-9a-f-]{36}\)$/,
    );
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.hint ?? '', /another operation/);
  });

  it('the simulator refuses to delete the default branch or a branch with children, and a self-restore without preserve_under_name', async () => {
    const c = client();
    const parent = await c.findBranch(sim.projectId, 'production');
    const e1 = await failure(c.deleteBranch(sim.projectId, parent.id));
    assert.match(e1.message, /400 .*default branch \(request_id/);
    const child = await c.createBranch(sim.projectId, { parentId: parent.id, name: 'pgward-test-parent' });
    const grandchild = await c.createBranch(sim.projectId, {
      parentId: child.branch.id,
      name: 'pgward-test-child',
    });
    const e2 = await failure(c.deleteBranch(sim.projectId, child.branch.id));
    assert.match(e2.message, /has children/);
    // the client refuses a self-restore without a name before sending it; the simulator refuses it too
    await failure(c.restoreBranch(sim.projectId, child.branch.id, { at: new Date() }));
    const e3 = await failure(
      c.http.request('POST', `/projects/${sim.projectId}/branches/${child.branch.id}/restore`, {
        source_branch_id: child.branch.id,
        source_timestamp: new Date().toISOString(),
      }),
    );
    assert.match(e3.message, /400 .*preserve_under_name/);
    await c.deleteBranch(sim.projectId, grandchild.branch.id);
    await c.deleteBranch(sim.projectId, child.branch.id);
  });

  it('restores a branch to a time, keeping its current state under preserve_under_name', async () => {
    const c = client();
    const parent = await c.findBranch(sim.projectId, 'production');
    const b = await c.createBranch(sim.projectId, { parentId: parent.id, name: 'pgward-test-restore' });
    const restored = await c.restoreBranch(sim.projectId, b.branch.id, {
      at: new Date(Date.now() - 1000),
      preserveUnderName: 'pgward-test-restore-before',
    });
    assert.equal(restored.id, b.branch.id);
    const kept = sim.branch('pgward-test-restore-before');
    assert.ok(kept);
    const body = sim.requests.find((r) => r.path.endsWith('/restore') && r.status === 200)?.body as Record<
      string,
      unknown
    >;
    assert.equal(body.preserve_under_name, 'pgward-test-restore-before');
    assert.equal(body.source_branch_id, b.branch.id);
    await c.deleteBranch(sim.projectId, kept.id);
    await c.deleteBranch(sim.projectId, b.branch.id);
  });

  it("a rehearsal branch is an orphan only when its pid is dead here, or it is another host's and stale", () => {
    const branch = (name: string, ageMs = 0): NeonBranch => ({
      id: 'br-x',
      project_id: 'p',
      name,
      current_state: 'ready',
      created_at: new Date(Date.now() - ageMs).toISOString(),
    });
    const mine = ownBranchName('rehearse');
    assert.equal(orphanBranch(branch(mine)), false, 'this live process');
    assert.equal(orphanBranch(branch(mine.replace(`-${process.pid}-`, '-999999999-'))), true, 'a dead pid');
    const other = mine.replace(/^pgward-rehearse-[0-9a-f]{8}-/, 'pgward-rehearse-00000000-');
    assert.equal(orphanBranch(branch(other, 60_000)), false, 'another host, fresh');
    assert.equal(orphanBranch(branch(other, 7 * 3600_000)), true, 'another host, stale');
    assert.equal(
      orphanBranch(branch(ownBranchName('recover').replace(`-${process.pid}-`, '-999999999-'))),
      false,
      'a recovery is a result',
    );
    assert.equal(orphanBranch(branch('pgward-kept-rehearse-1a2b3c4d-1-ab')), false, 'kept');
    assert.equal(orphanBranch(branch('main')), false);
  });

  it('invariant: the Neon API key never appears in output, JSON or errors', async () => {
    const c = client();
    const e = await failure(
      new NeonClient({ apiKey: `${sim.apiKey}x`, apiUrl: sim.url, ...fast }).listBranches(sim.projectId),
    );
    assert.match(e.message, /401/);
    assert.match(e.hint ?? '', /NEON_API_KEY/);
    const parent = await c.findBranch(sim.projectId, 'production');
    const b = await c.createBranch(sim.projectId, { parentId: parent.id, name: 'pgward-test-secret' });
    const password = b.connection_uris?.[0]?.connection_parameters.password ?? '';
    assert.ok(password.length > 3);
    const text = redact(`${e.message} ${e.hint} key=${sim.apiKey} pw=${password} ${JSON.stringify(b)}`);
    assert.ok(!text.includes(sim.apiKey), 'API key redacted');
    assert.ok(!text.includes(password), 'branch password redacted');
    await c.deleteBranch(sim.projectId, b.branch.id);
  });
});
