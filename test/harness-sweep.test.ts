// The test runner's own promise: a killed run leaves nothing behind for long — the next run stops the
// servers left in its folder and removes it, and never touches a run that is still going on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCluster } from './harness/cluster.js';
import { adminQuery } from './harness/db.js';
import { markRunner, RUN_PREFIX, sweepDeadRuns } from './harness/sweep.js';

test('invariant: a killed test run is swept by the next (its server stopped, its folder removed); a live run is never touched', async () => {
  // Short names: the server's socket path under them must stay within 107 bytes.
  const base = mkdtempSync(join(tmpdir(), 'sw-'));
  chmodSync(base, 0o755);
  const dead = mkdtempSync(join(base, RUN_PREFIX));
  const live = mkdtempSync(join(base, RUN_PREFIX));
  const unmarked = mkdtempSync(join(base, RUN_PREFIX));
  for (const d of [dead, live, unmarked]) chmodSync(d, 0o1777);
  const cluster = await startCluster({ baseDir: dead });
  try {
    // A runner that has exited: its pid is no longer alive.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dead, 'runner.pid'), `${gone}\n`);
    markRunner(live); // this process: alive
    const postmaster = Number(
      readFileSync(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
    );

    const swept = await sweepDeadRuns(base);

    assert.deepEqual(swept, [dead]);
    assert.equal(existsSync(dead), false, 'the dead run folder is removed');
    assert.throws(() => process.kill(postmaster, 0), /ESRCH/, 'its server is stopped');
    assert.equal(existsSync(live), true, 'a live run is not touched');
    assert.equal(existsSync(unmarked), true, 'a folder without a runner pid is not judged');
  } finally {
    cluster.stop();
    rmSync(base, { recursive: true, force: true });
  }
});

test('invariant: a test server killed outright (kill -9, as a killed run leaves it) leaves no shared memory segment in /dev/shm', async () => {
  const segments = () =>
    new Set(existsSync('/dev/shm') ? readdirSync('/dev/shm').filter((f) => f.startsWith('PostgreSQL.')) : []);
  const before = segments();
  const cluster = await startCluster();
  await adminQuery(cluster.url(), 'SELECT 1');
  const postmaster = Number(readFileSync(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(postmaster, 'SIGKILL'); // no shutdown code runs: nothing of it cleans up after it
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(postmaster, 0);
      await new Promise((r) => setTimeout(r, 50));
    } catch {
      break;
    }
  }
  cluster.stop(); // removes its folder (pg_ctl finds no server)
  const left = [...segments()].filter((s) => !before.has(s));
  assert.deepEqual(left, [], 'segments left in /dev/shm by the killed server');
});
