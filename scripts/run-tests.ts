// Runs the whole suite: starts one throwaway PostgreSQL cluster for the run, hands it to every test file
// (each test creates its own database on it), and tears it down whatever happens. Everything the tests
// write to the temp dir (projects, storage folders, pgward's own temp files, their clusters) goes to one
// folder of this run, removed at the end: test passwords never stay behind in /tmp. A run killed before
// its cleanup is swept by the next one (test/harness/sweep.ts).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../test/harness/cluster.js';
import { markRunner, RUN_PREFIX, sweepDeadRuns } from '../test/harness/sweep.js';

const filter = process.argv.slice(2);
const files = readdirSync('test', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join('test', f))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();

const started = performance.now();
// Folders (and servers) of earlier runs that were killed before their cleanup.
for (const dir of await sweepDeadRuns())
  process.stderr.write(`swept the folder of a killed test run: ${dir}\n`);
const runTmp = mkdtempSync(join(tmpdir(), RUN_PREFIX));
markRunner(runTmp);
// Clusters started by tests run as the `postgres` user when the suite runs as root: it must reach them.
chmodSync(runTmp, 0o1777);
const cluster = await startCluster({ baseDir: runTmp });
let code = 1;
try {
  process.stderr.write(`test cluster: PostgreSQL in ${cluster.dir}, port ${cluster.port}\n`);
  const child = spawn(
    process.execPath,
    // A test that hangs (a stalled stream, a lost wake-up) fails after 20 minutes instead of holding CI
    // until its limit: no test comes near that, even on a loaded machine (the longest take ~2 minutes).
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      '--test-timeout=1200000',
      '--test-reporter=spec',
      ...files,
    ],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        TMPDIR: runTmp,
        PGWARD_TEST_CLUSTER: JSON.stringify({
          dir: cluster.dir,
          port: cluster.port,
          socketDir: cluster.socketDir,
          binDir: cluster.binDir,
        }),
      },
    },
  );
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
} finally {
  cluster.stop();
  rmSync(runTmp, { recursive: true, force: true });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  process.stderr.write(`test suite: ${files.length} files in ${seconds} s (exit ${code})\n`);
}
process.exit(code);
