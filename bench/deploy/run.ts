// bench/deploy: one deploy of three pending migrations on a database with data, by `pgward deploy`
// (preflight with doctor and the gate, pre-deploy backup into the catalog, migrate under the lock,
// the platform command, health verified, every step journaled) and by the hand-written pipeline seed 000
// describes (pg_dump, psql per migration, the deploy command, a curl loop on the health URL), rotating
// which goes first each round, on the same throwaway server. Prints wall times and the median ratio.
//   npm run bench:deploy -- [--rows 200000] [--rounds 5] [--disk]
// What the ratio buys: the doctor and gate checks, the journal and lock, the verified backup manifest —
// the peer has none of them. The cluster lives in /dev/shm unless --disk (see bench/migrate-overhead).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAppServer } from '../../test/harness/app-server.js';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import { CLI } from '../../test/harness/project.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
    disk: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const rounds = Number(values.rounds);

const MIGRATIONS: [string, string][] = [
  ['20260101000001_orders_note', 'ALTER TABLE orders ADD COLUMN note text;'],
  ['20260101000002_customers', 'CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);'],
  ['20260101000003_orders_customer', 'ALTER TABLE orders ADD COLUMN customer_id bigint;'],
];

const inMemory = !values.disk && existsSync('/dev/shm');
const cluster = await startCluster(inMemory ? { baseDir: '/dev/shm' } : {});
const app = await startAppServer();
const work = mkdtempSync(join(tmpdir(), 'pgward-bench-deploy-'));

function project(): string {
  const dir = join(work, 'pgward');
  mkdirSync(join(dir, 'db/migrations'), { recursive: true });
  for (const [name, sql] of MIGRATIONS)
    writeFileSync(
      join(dir, `db/migrations/${name}.sql`),
      `-- migrate:up\n${sql}\n\n-- migrate:down\nSELECT 1;\n`,
    );
  writeFileSync(
    join(dir, 'pgward.yaml'),
    `environments:
  production:
    url: \${DB_URL}
    policy: { pause_seconds: 0 }
    deploy:
      provider: command
      command: { deploy: "true" }
      verify: { health_url: ${app.healthUrl}, checks: 3, interval: 100ms, timeout: 10s }
backups:
  storage: file://${join(work, 'catalog')}
`,
  );
  return dir;
}

function peerScript(): string {
  const dir = join(work, 'peer');
  mkdirSync(dir, { recursive: true });
  for (const [name, sql] of MIGRATIONS) writeFileSync(join(dir, `${name}.sql`), `${sql}\n`);
  const bin = cluster.binDir;
  const script = join(dir, 'deploy.sh');
  writeFileSync(
    script,
    `set -e
${bin}/pg_dump -Fc -f ${join(work, 'peer.dump')} "$DB_URL"
for f in ${dir}/*.sql; do ${bin}/psql -q -v ON_ERROR_STOP=1 -1 -f "$f" "$DB_URL"; done
true
ok=0; while [ $ok -lt 3 ]; do
  if curl -fs ${app.healthUrl} >/dev/null; then ok=$((ok+1)); else ok=0; fi; sleep 0.1
done
`,
  );
  return script;
}

// Asynchronous on purpose: the app server answering the health checks lives in this process.
function timed(cmd: string, args: string[], env: Record<string, string>, cwd?: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  return new Promise((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} failed (${code}): ${output}`)),
    ),
  );
}

await adminQuery(cluster.url(), 'CREATE DATABASE bench_base');
await adminQuery(
  cluster.url('bench_base'),
  `CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL, placed_at timestamptz NOT NULL);
   INSERT INTO orders SELECT g, g % 1000, now() - g * interval '1 minute' FROM generate_series(1, ${rows}) g;
   ANALYZE orders`,
);
async function freshDb(name: string): Promise<string> {
  await adminQuery(cluster.url(), `DROP DATABASE IF EXISTS ${name}`);
  await adminQuery(cluster.url(), `CREATE DATABASE ${name} TEMPLATE bench_base`);
  return cluster.url(name);
}

const dir = project();
const peer = peerScript();
const runners = {
  'pgward deploy': async (round: number) =>
    timed(
      process.execPath,
      [CLI, 'deploy', '--env', 'production', '--quiet'],
      {
        DB_URL: await freshDb(`bench_pgward_${round}`),
      },
      dir,
    ),
  'hand-written pipeline': async (round: number) =>
    timed('bash', [peer], { DB_URL: await freshDb(`bench_peer_${round}`) }),
};
type Tool = keyof typeof runners;
const tools = Object.keys(runners) as Tool[];
const times: Record<Tool, number[]> = { 'pgward deploy': [], 'hand-written pipeline': [] };
const ratios: number[] = [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  console.log(
    `cluster data in ${inMemory ? '/dev/shm (memory)' : 'the temp dir (disk)'}; orders: ${rows} rows`,
  );
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...tools].reverse() : tools;
    const got = {} as Record<Tool, number>;
    for (const tool of order) got[tool] = await runners[tool](round);
    for (const tool of tools) times[tool].push(got[tool]);
    ratios.push(got['pgward deploy'] / got['hand-written pipeline']);
    console.log(`round ${round + 1}: ${tools.map((t) => `${t} ${got[t].toFixed(0)} ms`).join(', ')}`);
  }
  console.log(`\none deploy (3 migrations, backup, verify), ${rounds} rounds (wall time; median):`);
  for (const tool of tools) console.log(`  ${tool.padEnd(22)} ${median(times[tool]).toFixed(0)} ms`);
  console.log(`  ratio pgward / hand-written = ${median(ratios).toFixed(2)} (median of paired rounds)`);
} finally {
  await app.close();
  cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
