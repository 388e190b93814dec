// bench/frameworks: the migration guard's overhead on real framework apps. Builds a Rails app and an
// Alembic app (test/harness/frameworks.ts) with N small migrations each — create table, add column, add
// index, in the framework's own DSL — and times, on a fresh database each time, the framework's own
// command run directly against `pgward migrate --env staging` run in the app's root (its pgward.yaml names
// the framework; staging is not protected and takes no backup, so the difference is the guard's cost). Target: pgward / direct <= 1.10.
//   npm run bench:frameworks -- [--migrations 100] [--rounds 5] [--frameworks rails,alembic] [--direct-only] [--disk]
// Each round runs both sides back to back on the same server, alternating which goes first; the verdict is
// the median of the per-round paired ratios. One untimed warm-up run per side first (Python compiles the
// migration scripts to __pycache__ on its first run). Each run is checked: the framework's tracking table
// must hold all N migrations afterwards, so a side that skipped work cannot look fast.
// --direct-only times the frameworks alone (what works before `pgward migrate` runs frameworks).
// The cluster lives in /dev/shm (memory) unless --disk, as in bench/migrate-overhead.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '../../test/harness/cluster.js';
import { adminQuery } from '../../test/harness/db.js';
import {
  type AddedMigration,
  appEnv,
  expectedTracking,
  FRAMEWORK_APPS,
  type FrameworkApp,
  REAL_FRAMEWORKS,
  type RealFramework,
  runApp,
  SYSTEM_PYTHON,
  TRACKING_QUERIES,
} from '../../test/harness/frameworks.js';
import { CLI } from '../../test/harness/project.js';

const { values } = parseArgs({
  options: {
    migrations: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '5' },
    frameworks: { type: 'string', default: 'rails,alembic' },
    'direct-only': { type: 'boolean', default: false },
    disk: { type: 'boolean', default: false },
  },
});
const count = Number(values.migrations);
const rounds = Number(values.rounds);
const directOnly = values['direct-only'];
const frameworks = values.frameworks.split(',').map((f) => f.trim()) as RealFramework[];
for (const fw of frameworks) {
  if (!REAL_FRAMEWORKS.includes(fw)) {
    console.error(`error: unknown framework ${fw} (one of ${REAL_FRAMEWORKS.join(', ')})`);
    process.exit(2);
  }
}
if (!(count >= 3 && rounds >= 3)) {
  console.error('error: --migrations and --rounds must be at least 3');
  process.exit(2);
}
if (!directOnly && !existsSync(CLI)) {
  console.error(`error: ${CLI} not built: run \`npm run bench:frameworks\` (it builds first)`);
  process.exit(2);
}

/** Migration i of a cycle of three on table t<k>: create it, add a column, index the column. */
function smallMigration(app: FrameworkApp, i: number): [string, string] {
  const k = Math.ceil(i / 3);
  const step = (i - 1) % 3;
  const name = [`create_t${k}`, `add_note_to_t${k}`, `add_index_on_t${k}_note`][step]!;
  if (app.framework === 'rails') {
    const body = [
      `create_table :t${k} do |t|\n  t.string :name\nend`,
      `add_column :t${k}, :note, :text`,
      `add_index :t${k}, :note`,
    ];
    return [name, body[step]!];
  }
  if (app.framework === 'alembic') {
    const body = [
      `op.create_table(\n    "t${k}",\n    sa.Column("id", sa.BigInteger, primary_key=True),\n    sa.Column("name", sa.Text),\n)`,
      `op.add_column("t${k}", sa.Column("note", sa.Text))`,
      `op.create_index("t${k}_note_idx", "t${k}", ["note"])`,
    ];
    return [name, body[step]!];
  }
  const sql = [
    `CREATE TABLE t${k} (id bigint PRIMARY KEY, name text);`,
    `ALTER TABLE t${k} ADD COLUMN note text;`,
    `CREATE INDEX t${k}_note_idx ON t${k} (note);`,
  ];
  return [name, app.sql(sql[step]!)];
}

interface Subject {
  app: FrameworkApp;
  added: AddedMigration[];
  direct: number[];
  guard: number[];
  ratios: number[];
  /** Why the pgward side stopped being measured (its first failure), if it did. */
  guardFailure?: string;
}

const inMemory = !values.disk && existsSync('/dev/shm');
const cluster = await startCluster(inMemory ? { baseDir: '/dev/shm' } : {});
let dbSeq = 0;

async function freshDb(fw: RealFramework, side: string): Promise<string> {
  const name = `bench_${fw.replace(/\W/g, '_')}_${side}_${++dbSeq}`;
  await adminQuery(cluster.url(), `CREATE DATABASE ${name}`);
  return cluster.url(name);
}

async function dropDb(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  await adminQuery(cluster.url(), `DROP DATABASE IF EXISTS ${name}`);
}

/** Throws unless the tracking table shows every migration applied. */
async function checkApplied(s: Subject, url: string, side: string): Promise<void> {
  const rows = (await adminQuery(url, TRACKING_QUERIES[s.app.framework]).catch(() => [])).map((r) => r.v);
  const want = expectedTracking(s.app.framework, s.added);
  if (JSON.stringify(rows) !== JSON.stringify(want)) {
    throw new Error(
      `${s.app.framework} (${side}): exit 0 but ${rows.length} of ${want.length} tracking rows as expected`,
    );
  }
}

function firstLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(0, n).join('\n    ');
}

async function runDirect(s: Subject): Promise<number> {
  const url = await freshDb(s.app.framework, 'direct');
  const r = await runApp(s.app, url);
  if (r.code !== 0)
    throw new Error(
      `${s.app.command.join(' ')} failed (exit ${r.code}):\n    ${firstLines(r.stderr || r.stdout)}`,
    );
  await checkApplied(s, url, 'direct');
  await dropDb(url);
  return r.ms;
}

/**
 * The app's pgward.yaml: a non-protected `staging` environment without the pre-migrate backup, so the
 * comparison is the guard's own cost (identity, lock, status reads, the guard), not a pg_dump.
 */
function writeConfig(app: FrameworkApp): void {
  writeFileSync(
    join(app.root, 'pgward.yaml'),
    [
      'migrations:',
      `  framework: ${app.framework}`,
      `  dir: ${relative(app.root, app.migrationsDir) || '.'}`,
      'environments:',
      '  staging:',
      // pgward.yaml's own ${VAR} interpolation: the URL of each run's fresh database
      '    url: ${PGWARD_BENCH_URL}',
      '    policy: { backup_before_migrate: false }',
      '',
    ].join('\n'),
  );
}

/** `pgward migrate --env staging` in the app's root; the app's own URL variables are not set for it. */
async function runGuard(s: Subject): Promise<number> {
  const url = await freshDb(s.app.framework, 'pgward');
  // The interpreter the direct side runs (else pgward probes PATH's python3 first, a slow pyenv shim here).
  const env: Record<string, string> = {
    ...appEnv(s.app, url),
    NO_COLOR: '1',
    PGWARD_BENCH_URL: url,
    PGWARD_PYTHON: SYSTEM_PYTHON,
  };
  for (const k of Object.keys(s.app.env(url))) delete env[k];
  const started = performance.now();
  const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'migrate', '--env', 'staging'], {
      cwd: s.app.root,
      env,
      stdio: 'pipe',
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
  const ms = performance.now() - started;
  if (r.code !== 0) throw new Error(`pgward migrate failed (exit ${r.code}):\n    ${firstLines(r.out)}`);
  await checkApplied(s, url, 'pgward migrate');
  await dropDb(url);
  return ms;
}

/** Runs the pgward side unless it already failed; its first failure is kept and reported once. */
async function tryGuard(s: Subject): Promise<number | undefined> {
  if (directOnly || s.guardFailure) return undefined;
  try {
    return await runGuard(s);
  } catch (err) {
    s.guardFailure = (err as Error).message;
    console.log(`  ${s.app.framework}: pgward migrate failed; not measured further (why: at the end)`);
    return undefined;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function report(subjects: Subject[]): void {
  console.log(`\n${count} migrations per app, ${rounds} rounds (wall time, process start to exit; median):`);
  const head = ['framework', 'direct', 'pgward migrate', 'ratio', 'target <= 1.10'];
  const rows = subjects.map((s) => {
    const fw = s.app.framework;
    const direct = `${secs(median(s.direct))} (${(median(s.direct) / count).toFixed(1)} ms/migration)`;
    if (directOnly) return [fw, direct, 'not run (--direct-only)', '-', '-'];
    if (s.ratios.length < rounds) return [fw, direct, 'FAILED (see below)', '-', 'not measured'];
    const ratio = median(s.ratios);
    return [fw, direct, secs(median(s.guard)), ratio.toFixed(2), ratio <= 1.1 ? 'met' : 'NOT met'];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    console.log(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd());
  for (const s of subjects) {
    if (s.guardFailure) console.log(`\n${s.app.framework}: ${s.guardFailure}`);
  }
}

const subjects: Subject[] = frameworks.map((fw) => {
  const app = FRAMEWORK_APPS[fw]();
  const added: AddedMigration[] = [];
  for (let i = 1; i <= count; i++) added.push(app.addMigration(...smallMigration(app, i)));
  if (!directOnly) writeConfig(app);
  return { app, added, direct: [], guard: [], ratios: [] };
});
let failed = false;
try {
  console.log(
    `cluster data in ${inMemory ? '/dev/shm (memory)' : 'the temp dir (disk)'}; ${count} migrations per app; ` +
      (directOnly ? 'direct only' : 'direct vs pgward migrate'),
  );
  for (const s of subjects) {
    await runDirect(s); // warm-up, untimed
    await tryGuard(s);
  }
  for (let round = 0; round < rounds; round++) {
    const parts: string[] = [];
    for (const s of subjects) {
      // Alternate which side goes first so neither always meets a warmer (or busier) server.
      const guardFirst = round % 2 === 1;
      const g1 = guardFirst ? await tryGuard(s) : undefined;
      const d = await runDirect(s);
      const g = guardFirst ? g1 : await tryGuard(s);
      s.direct.push(d);
      if (g !== undefined) {
        s.guard.push(g);
        s.ratios.push(g / d);
      }
      parts.push(
        `${s.app.framework} direct ${d.toFixed(0)} ms${g === undefined ? '' : `, pgward ${g.toFixed(0)} ms`}`,
      );
    }
    console.log(`round ${round + 1}: ${parts.join('; ')}`);
  }
  report(subjects);
  failed = !directOnly && subjects.some((s) => s.guardFailure);
} catch (err) {
  // A framework that cannot run directly makes the whole comparison meaningless: say why and stop.
  console.error(`error: ${(err as Error).message}`);
  failed = true;
} finally {
  for (const s of subjects) s.app.remove();
  cluster.stop();
}
process.exit(failed ? 1 : 0);
