// Lint benchmark: generates a corpus of plain .sql files (one statement per line, each from a template
// whose verdict is known), lints it with the built pgward CLI and with squawk, prints both times and the
// ratio, and lists where the two disagree on destructive or blocking, plus anything destructive pgward missed.
//
//   npm run build && node bench/lint/run.mjs [--statements 5000] [--files 250] [--runs 5]
//                                            [--save-json FILE] [--expect-json FILE] [--corpus DIR]
//
// Method: the two commands run in turn (pgward, squawk, pgward, squawk...) and the ratio is taken pair by
// pair, so a machine whose speed drifts (other jobs on a shared VM) moves both sides of a pair alike; the
// figures are medians (wall time of the whole process, start-up included; peak RSS from /usr/bin/time).
// --save-json keeps pgward's JSON on the corpus; --expect-json fails the run unless pgward's JSON is
// byte-identical to a saved one (the corpus is deterministic): run it before and after a change to the
// analyser to prove the output did not move.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePeer } from '../peers.mjs';
import { TEMPLATES } from './templates.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PGWARD = join(ROOT, 'dist', 'bin', 'pgward.js');
const SQUAWK = join(ensurePeer('squawk-cli'), '.bin', 'squawk');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const argText = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
};
const STATEMENTS = arg('statements', 5000);
const FILES = arg('files', 250);
const RUNS = arg('runs', 5);
const SAVE_JSON = argText('save-json');
const EXPECT_JSON = argText('expect-json');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

// squawk rule → the category pgward would give it (only destructive and blocking are compared).
const SQUAWK_CATEGORY = {
  'ban-drop-table': 'destructive',
  'ban-drop-column': 'destructive',
  'ban-drop-database': 'destructive',
  'ban-truncate-cascade': 'destructive',
  'require-concurrent-index-creation': 'blocking',
  'require-concurrent-index-deletion': 'blocking',
  'require-concurrent-reindex': 'blocking',
  'require-concurrent-partition-detach': 'blocking',
  'adding-foreign-key-constraint': 'blocking',
  'constraint-missing-not-valid': 'blocking',
  'disallowed-unique-constraint': 'blocking',
  'adding-serial-primary-key-field': 'blocking',
  'adding-field-with-default': 'blocking',
  'changing-column-type': 'blocking',
  'adding-not-nullable-field': 'blocking',
  'ban-alter-domain-with-add-constraint': 'blocking',
  'prefer-repack': 'blocking',
};

// Deterministic pseudo-random numbers, so every run lints the same corpus.
let seed = 42;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};

function generate(dir) {
  const truth = new Map(); // "file:line" → { template, expected: Set }
  const perFile = Math.ceil(STATEMENTS / FILES);
  let made = 0;
  for (let f = 0; f < FILES && made < STATEMENTS; f++) {
    const name = `m${String(f).padStart(4, '0')}.sql`;
    const lines = [];
    // tables a TRUNCATE or DELETE without WHERE emptied earlier in the file: a later DELETE without WHERE
    // on one deletes no row that existed before the migration, and pgward rightly does not flag it again
    const emptied = new Set();
    for (let i = 0; i < perFile && made < STATEMENTS; i++, made++) {
      const t = TEMPLATES[rand(TEMPLATES.length)];
      const n = rand(1000);
      lines.push(t.sql(n));
      const again = t.name === 'delete-without-where' && emptied.has(n);
      if (t.name === 'truncate' || t.name === 'delete-without-where') emptied.add(n);
      truth.set(`${name}:${lines.length}`, { template: t.name, expected: new Set(again ? [] : t.expect) });
    }
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  }
  return { truth, count: made };
}

/**
 * One run of a command: wall ms, and when /usr/bin/time is there peak RSS in MiB and CPU ms (user +
 * system: more than the wall time means the command kept more than one core busy), stdout.
 */
function once(cmd, args) {
  const [file, argv] = TIME ? [TIME, ['-f', '%M %U %S', cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 5 && r.status !== 1)
    throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
  const [kib, user, sys] = TIME
    ? r.stderr.trim().split('\n').pop().split(' ').map(Number)
    : [Number.NaN, Number.NaN, Number.NaN];
  return { ms, mib: kib / 1024, cpuMs: (user + sys) * 1000, out: r.stdout };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Paired, interleaved runs (one warm-up pair first, not counted): medians of each side and of the ratios. */
function paired(a, b) {
  once(...a);
  once(...b);
  const runs = { a: [], b: [], ratio: [], aMib: [], bMib: [], aCpu: [], bCpu: [] };
  let out = { a: '', b: '' };
  for (let i = 0; i < RUNS; i++) {
    const x = once(...a);
    const y = once(...b);
    runs.a.push(x.ms);
    runs.b.push(y.ms);
    runs.ratio.push(x.ms / y.ms);
    runs.aMib.push(x.mib);
    runs.bMib.push(y.mib);
    runs.aCpu.push(x.cpuMs);
    runs.bCpu.push(y.cpuMs);
    out = { a: x.out, b: y.out };
  }
  return {
    a: { ms: median(runs.a), mib: median(runs.aMib), cpuMs: median(runs.aCpu), out: out.a },
    b: { ms: median(runs.b), mib: median(runs.bMib), cpuMs: median(runs.bCpu), out: out.b },
    ratio: median(runs.ratio),
    spread: [Math.min(...runs.ratio), Math.max(...runs.ratio)],
  };
}

function categories(findings) {
  const m = new Map();
  for (const { key, category } of findings) {
    if (category !== 'destructive' && category !== 'blocking') continue;
    if (!m.has(key)) m.set(key, new Set());
    m.get(key).add(category);
  }
  return m;
}

const KEEP = argText('corpus'); // write the corpus there and keep it (for profiling)
const dir = KEEP ? resolve(KEEP) : mkdtempSync(join(tmpdir(), 'pgward-bench-'));
try {
  mkdirSync(dir, { recursive: true });
  const { truth, count } = generate(dir);
  const files = [...new Set([...truth.keys()].map((k) => k.split(':')[0]))].map((f) => join(dir, f));
  process.stderr.write(
    `corpus: ${count} statements in ${files.length} files (${TEMPLATES.length} templates) in ${dir}\n`,
  );

  const run = paired(
    [process.execPath, [PGWARD, 'lint', '--format', 'json', dir]],
    [SQUAWK, ['--reporter', 'json', ...files]],
  );
  const pg = run.a;
  const sq = run.b;
  // The JSON names files by path: take the corpus folder out so runs in different folders compare.
  const normalised = pg.out.split(dir).join('<corpus>');
  if (SAVE_JSON) writeFileSync(SAVE_JSON, normalised);
  let sameJson;
  if (EXPECT_JSON) sameJson = readFileSync(EXPECT_JSON, 'utf8') === normalised;

  const pgFindings = JSON.parse(pg.out).files.flatMap((f) =>
    f.findings.map((x) => ({ key: `${f.file.split('/').pop()}:${x.line}`, category: x.category })),
  );
  const sqFindings = JSON.parse(sq.out || '[]').map((x) => ({
    key: `${x.file.split('/').pop()}:${x.line + 1}`,
    category: SQUAWK_CATEGORY[x.rule_name],
  }));
  const pgCat = categories(pgFindings);
  const sqCat = categories(sqFindings);

  const disagreements = new Map(); // template → { pgward, squawk, expected, count, example }
  let missedDestructive = 0;
  const missed = [];
  let wrongVsTruth = 0;
  for (const [key, t] of truth) {
    const p = [...(pgCat.get(key) ?? [])].sort().join('+') || '-';
    const s = [...(sqCat.get(key) ?? [])].sort().join('+') || '-';
    const e = [...t.expected].sort().join('+') || '-';
    if (t.expected.has('destructive') && !pgCat.get(key)?.has('destructive')) {
      missedDestructive++;
      if (missed.length < 20) missed.push({ key, template: t.template, found: p });
    }
    if (p !== e) wrongVsTruth++;
    if (p !== s) {
      const d = disagreements.get(t.template) ?? { pgward: p, squawk: s, expected: e, count: 0 };
      d.count++;
      disagreements.set(t.template, d);
    }
  }

  console.log(`statements: ${count} in ${files.length} files (medians of ${RUNS} paired runs)`);
  console.log(
    `pgward: ${pg.ms.toFixed(0)} ms   squawk: ${sq.ms.toFixed(0)} ms   ratio pgward/squawk: ${run.ratio.toFixed(2)} (pairs ${run.spread.map((r) => r.toFixed(2)).join('–')})`,
  );
  if (TIME) {
    console.log(
      `peak RSS: pgward ${pg.mib.toFixed(0)} MiB   squawk ${sq.mib.toFixed(0)} MiB   ratio ${(pg.mib / sq.mib).toFixed(2)}`,
    );
    const cores = (x) => (x.cpuMs / x.ms).toFixed(2);
    console.log(
      `CPU (user + system): pgward ${pg.cpuMs.toFixed(0)} ms (${cores(pg)} cores busy on average)   squawk ${sq.cpuMs.toFixed(0)} ms (${cores(sq)})`,
    );
  }
  if (sameJson !== undefined)
    console.log(`pgward JSON vs ${EXPECT_JSON}: ${sameJson ? 'byte-identical' : 'DIFFERENT'}`);
  console.log(
    `pgward vs expected verdicts: ${wrongVsTruth} statements differ; destructive statements missed by pgward: ${missedDestructive}`,
  );
  for (const m of missed) {
    const [file, line] = m.key.split(':');
    const text = readFileSync(join(dir, file), 'utf8').split('\n')[Number(line) - 1];
    console.log(`  missed: ${m.key} (${m.template}, pgward found ${m.found}): ${text}`);
  }
  console.log('');
  console.log(
    `disagreements on destructive/blocking (${[...disagreements.values()].reduce((n, d) => n + d.count, 0)} statements, by template):`,
  );
  const rows = [...disagreements.entries()].sort((a, b) => b[1].count - a[1].count);
  for (const [name, d] of rows) {
    const tpl = TEMPLATES.find((t) => t.name === name);
    console.log(
      `  ${String(d.count).padStart(4)}× ${name}: pgward=${d.pgward} squawk=${d.squawk} expected=${d.expected}`,
    );
    console.log(`        ${tpl.sql(7)}`);
  }
  process.exitCode = missedDestructive > 0 || sameJson === false ? 1 : 0;
} finally {
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
}
