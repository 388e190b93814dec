// Structure invariants: one byte formatter and one duration formatter whose outputs equal the shapes
// every report already printed (the helpers they replaced are written out below as the reference), and a
// function-length check that really fails on a long function.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatDuration as configFormat, parseDuration } from '../src/config/duration.js';
import { formatBytes, formatDuration, MS, SECONDS, SUMMARY } from '../src/format/units.js';
import { formatBytes as lintBytes } from '../src/lint/schema.js';
import { renderMetrics } from '../src/serve/metrics.js';
import type { Snapshot } from '../src/serve/state.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// The helpers that existed before the formatters were merged, verbatim: the reference outputs.
const legacy = {
  monitorBytes(n: number): string {
    if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
    if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
    if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
    return `${n} B`;
  },
  backupMib(bytes: number): string {
    return bytes >= 1024 ** 3
      ? `${(bytes / 1024 ** 3).toFixed(2)} GiB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  },
  cloneSize(bytes: number): string {
    if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
    if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
    return `${(bytes / 1024).toFixed(1)} KiB`;
  },
  migrateKib: (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`,
  lintBytes(b: number): string {
    const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
    let v = b;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${i === 0 ? v : v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
  },
  dur(ms: number): string {
    if (!Number.isFinite(ms)) return 'never';
    if (ms < 1000) return `${Math.round(ms)}ms`;
    const s = ms / 1000;
    if (s < 120) return `${+s.toFixed(1)}s`;
    if (s < 7200) return `${Math.round(s / 60)}min`;
    if (s < 172_800) return `${+(s / 3600).toFixed(1)}h`;
    return `${+(s / 86_400).toFixed(1)}d`;
  },
  config(ms: number | null): string {
    if (ms === null) return 'off';
    if (ms < 1000) return `${ms}ms`;
    if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
    if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}min`;
    return `${+(ms / 3_600_000).toFixed(1)}h`;
  },
};

/** Sizes around every unit boundary, plus a spread of ordinary and odd (fractional, zero) values. */
function sampleSizes(): number[] {
  const out = [0, 1, 0.5, 1023, 1024, 1025, 1536, 10 * 1024 - 1, 10 * 1024, 123_456, 987_654_321];
  for (const unit of [1024, 1024 ** 2, 1024 ** 3, 1024 ** 4]) {
    for (const k of [0.949, 0.95, 0.9999, 1, 1.05, 9.96, 10, 512.5, 1023.99]) out.push(Math.round(unit * k));
    out.push(unit * 3.3333);
  }
  return out;
}

/** Durations around every unit boundary (ms, s, min, h, d), fractions included. */
function sampleDurations(): number[] {
  const out = [0, 0.4, 0.5, 1, 999, 999.5, 1000, 1049, 1050, 59_949, 59_950, 60_000, 119_949, 119_950];
  for (const unit of [1000, 60_000, 3_600_000, 86_400_000]) {
    for (const k of [0.5, 0.99, 1, 1.25, 1.95, 2, 47.99, 48, 119.99, 120]) out.push(Math.round(unit * k));
  }
  return out;
}

test('invariant: the one byte formatter prints exactly what each replaced helper printed, for every size', () => {
  for (const n of sampleSizes()) {
    assert.equal(formatBytes(n), legacy.monitorBytes(n), `doctor bytes(${n})`);
    assert.equal(formatBytes(n, { smallest: 'MiB' }), legacy.backupMib(n), `backup mib(${n})`);
    assert.equal(
      formatBytes(n, { smallest: 'KiB', digits: { KiB: 1 } }),
      legacy.cloneSize(n),
      `clone size(${n})`,
    );
    assert.equal(formatBytes(n, { only: 'KiB' }), legacy.migrateKib(n), `migrate backup KiB(${n})`);
    assert.equal(lintBytes(n), legacy.lintBytes(n), `lint formatBytes(${n})`);
  }
});

test('invariant: the one duration formatter prints exactly what each replaced helper printed, for every duration', () => {
  for (const ms of [...sampleDurations(), Number.POSITIVE_INFINITY]) {
    assert.equal(formatDuration(ms, SUMMARY), legacy.dur(ms), `doctor dur(${ms})`);
  }
  for (const ms of [...sampleDurations(), null]) {
    assert.equal(configFormat(ms), legacy.config(ms), `config formatDuration(${ms})`);
  }
  for (const ms of sampleDurations()) {
    assert.equal(formatDuration(ms, SECONDS), `${(ms / 1000).toFixed(1)}s`);
    assert.equal(formatDuration(ms, { style: 'seconds', digits: 3 }), `${(ms / 1000).toFixed(3)}s`);
    assert.equal(formatDuration(ms, MS), `${ms} ms`);
  }
});

test('invariant: a duration written in the config style parses back to the same value (whole units)', () => {
  for (const ms of [1, 500, 1000, 1500, 5000, 60_000, 90_000, 600_000, 3_600_000, 5_400_000, 7_200_000]) {
    assert.equal(parseDuration(formatDuration(ms)), ms, `round trip of ${ms} ms`);
  }
});

/** Only src/format may compute a unit string: no other file divides by 1024 or 1000 into a "KiB"/"s" text. */
test('invariant: no file in src/ outside src/format builds a byte or seconds string by hand', () => {
  const offenders: string[] = [];
  const src = join(ROOT, 'src');
  for (const f of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.ts') || f.startsWith('format')) continue;
    const text = readFileSync(join(src, f), 'utf8');
    const byHand =
      /\/ 1024[^\n]*toFixed|toFixed\(\d\)\} ?(KiB|MiB|GiB|kB|MB|GB)|\/ 1000\)\.toFixed\(\d\)\}s|\$\{[\w.?]*(Ms|ms)\} ?ms\b/;
    if (byHand.test(text)) offenders.push(f);
  }
  assert.deepEqual(offenders, []);
});

test('invariant: check:functions fails on a function over 80 lines or a file over 400, and passes on a data table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-long-'));
  try {
    mkdirSync(join(dir, 'src'));
    const body = Array.from({ length: 85 }, (_, i) => `  total += ${i};`).join('\n');
    const run = () =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'scripts/long-functions.ts'), '--dir', join(dir, 'src')],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
    writeFileSync(
      join(dir, 'src/a.ts'),
      `export function tooLong() {\n  let total = 0;\n${body}\n  return total;\n}\n`,
    );
    const failing = run();
    assert.equal(failing.status, 1, failing.stderr);
    assert.match(failing.stdout, /over\s+89 lines\s+\S*src\/a\.ts:1\s+tooLong/);
    const arrow = `export const viaArrow = () => {\n  let total = 0;\n${body}\n  return total;\n};\n`;
    writeFileSync(join(dir, 'src/a.ts'), arrow);
    assert.equal(run().status, 1, 'an arrow function is measured too');
    const rows = Array.from({ length: 90 }, (_, i) => `    { n: ${i} },`).join('\n');
    writeFileSync(join(dir, 'src/a.ts'), `export function table() {\n  return [\n${rows}\n  ];\n}\n`);
    const table = run();
    assert.equal(table.status, 0, table.stdout + table.stderr);
    // Short functions, but a file over 400 lines: the file limit fails it.
    const many = Array.from({ length: 140 }, (_, i) => `export function f${i}() {\n  return ${i};\n}`).join(
      '\n',
    );
    writeFileSync(join(dir, 'src/a.ts'), `${many}\n`);
    const longFile = run();
    assert.equal(longFile.status, 1, longFile.stdout);
    assert.match(longFile.stdout, /file\s+420 lines\s+\S*src\/a\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('invariant: /metrics prints a family (HELP, TYPE) only with at least one finite sample, each family once', () => {
  // Only what the table reads without a guard; every other figure is unknown (undefined).
  const figures = {
    serverVersion: '15.0',
    serverVersionNum: 150000,
    connectionsByState: {},
    replication: [{ name: 'a', lagMs: null, lagBytes: null }],
    slots: [],
  } as unknown;
  const snap = {
    refreshedAt: '2026-01-01T00:00:00Z',
    lastRefreshDurationMs: Number.NaN,
    connected: true,
    refreshes: 1,
    refreshErrors: 0,
    alerts: [],
    jobs: [{ job: 'backup', nextRunAt: null, last: null, lastOkAt: null }],
    report: {
      checks: [],
      figures,
      migrations: null,
      backups: {
        count: 0,
        lastSuccessAt: null,
        lastSizeBytes: null,
        lastDrill: null,
        lastDrillPassedAt: null,
      },
    },
  } as unknown as Snapshot;
  const text = renderMetrics(snap);
  const families = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);
  assert.equal(new Set(families).size, families.length, 'a family printed twice');
  for (const name of families) {
    assert.match(text, new RegExp(`^${name}(\\{[^}]*\\})? -?[0-9.e+-]+$`, 'm'), `${name} has no sample`);
  }
  for (const absent of [
    'pgward_refresh_duration_seconds',
    'pgward_replication_lag_bytes',
    'pgward_job_next_run',
  ]) {
    assert.doesNotMatch(text, new RegExp(absent), `${absent} has no finite value and must be left out`);
  }
  assert.match(
    text,
    /^pgward_replication_lag_seconds\{standby="a"\} 0$/m,
    'unknown lag of a standby reads as 0',
  );
  assert.match(text, /^pgward_backups 0$/m);
});

test('invariant: every CLI command is X.ts (commander definition, typed flags) + X.run.ts (the action)', () => {
  const dir = join(ROOT, 'src/cli/commands');
  const files = readdirSync(dir);
  const definitions = files.filter(
    (f) => f.endsWith('.ts') && !f.includes('.run.') && !f.includes('.shared.'),
  );
  assert.ok(definitions.length >= 10, 'the command folder was found');
  for (const f of definitions) {
    const text = readFileSync(join(dir, f), 'utf8');
    assert.match(text, /\.command\(/, `${f} defines a command`);
    const base = f.replace(/\.ts$/, '');
    assert.ok(files.includes(`${base}.run.ts`), `${f} has its action in ${base}.run.ts`);
    // The definition only wires commander to the action: no library code is loaded by it (types and the
    // manifest's list of --reason choices excepted).
    const imports = [...text.matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)].map((m) => m[1]!);
    const library = imports.filter((i) => i.startsWith('../../') && !/manifest\.js$/.test(i));
    assert.deepEqual(library, [], `${f} imports library code; the action belongs in ${base}.run.ts`);
    assert.match(
      text,
      new RegExp(`import\\('\\./${base.replace('.', '\\.')}\\.run\\.js'\\)`),
      `${f} loads ${base}.run.js lazily`,
    );
  }
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    assert.doesNotMatch(text, /flags: Record<string/, `${f} types its flags with an interface`);
    assert.doesNotMatch(text, /flags\.\w+ as string/, `${f} casts a flag instead of typing it`);
  }
});

/** Modules reachable from `entry` through static value imports (`import type` and import() not followed). */
function staticGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift()!;
    if (graph.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specs = [
      ...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm),
    ].map((m) => (m[1] ?? m[2])!);
    graph.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) queue.push(join(file, '..', s.replace(/\.js$/, '.ts')));
  }
  return graph;
}

test('invariant: an offline lint never loads the database driver (pg) on its way to the analyser', () => {
  // `pgward lint` without --url/--env runs in CI with no database: loading pg cost ~50 ms of its start.
  const graph = staticGraph(join(ROOT, 'src/cli/commands/lint.run.ts'));
  assert.ok(graph.size > 10, 'the graph was walked');
  const loadsPg = [...graph].filter(([, specs]) => specs.some((s) => s === 'pg' || s.startsWith('pg/')));
  assert.deepEqual(
    loadsPg.map(([f]) => f.slice(ROOT.length)),
    [],
    'these modules import pg statically: load it with import() where a database is named',
  );
});
