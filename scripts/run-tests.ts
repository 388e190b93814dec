// Runs the whole suite: starts one throwaway PostgreSQL cluster for the run, hands it to every test file
// (each test creates its own database on it), and tears it down whatever happens.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../test/harness/cluster.js';

const filter = process.argv.slice(2);
const files = readdirSync('test', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join('test', f))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();

const cluster = await startCluster();
let code = 1;
try {
  process.stderr.write(`test cluster: PostgreSQL in ${cluster.dir}, port ${cluster.port}\n`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
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
}
process.exit(code);
