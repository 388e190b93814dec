// Lint benchmark: generates a corpus of plain .sql files (one statement per line, each from a template
// whose verdict is known), lints it with the built pgward CLI and with squawk, prints both times and the
// ratio, and lists where the two disagree on destructive or blocking, plus anything destructive pgward missed.
//
//   npm run build && node bench/lint/run.mjs [--statements 5000] [--files 250] [--runs 3]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
const STATEMENTS = arg('statements', 5000);
const FILES = arg('files', 250);
const RUNS = arg('runs', 3);

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
    for (let i = 0; i < perFile && made < STATEMENTS; i++, made++) {
      const t = TEMPLATES[rand(TEMPLATES.length)];
      const n = rand(1000);
      lines.push(t.sql(n));
      truth.set(`${name}:${lines.length}`, { template: t.name, expected: new Set(t.expect) });
    }
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  }
  return { truth, count: made };
}

function time(cmd, args) {
  let best = Number.POSITIVE_INFINITY;
  let out = '';
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, {
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
      env: { ...process.env, NO_COLOR: '1' },
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error) throw r.error;
    if (r.status !== 0 && r.status !== 5 && r.status !== 1)
      throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
    best = Math.min(best, ms);
    out = r.stdout;
  }
  return { ms: best, out };
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

const dir = mkdtempSync(join(tmpdir(), 'pgward-bench-'));
try {
  mkdirSync(dir, { recursive: true });
  const { truth, count } = generate(dir);
  const files = [...new Set([...truth.keys()].map((k) => k.split(':')[0]))].map((f) => join(dir, f));
  process.stderr.write(
    `corpus: ${count} statements in ${files.length} files (${TEMPLATES.length} templates) in ${dir}\n`,
  );

  const pg = time(process.execPath, [PGWARD, 'lint', '--format', 'json', dir]);
  const sq = time(SQUAWK, ['--reporter', 'json', ...files]);

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
  let wrongVsTruth = 0;
  for (const [key, t] of truth) {
    const p = [...(pgCat.get(key) ?? [])].sort().join('+') || '-';
    const s = [...(sqCat.get(key) ?? [])].sort().join('+') || '-';
    const e = [...t.expected].sort().join('+') || '-';
    if (t.expected.has('destructive') && !pgCat.get(key)?.has('destructive')) missedDestructive++;
    if (p !== e) wrongVsTruth++;
    if (p !== s) {
      const d = disagreements.get(t.template) ?? { pgward: p, squawk: s, expected: e, count: 0 };
      d.count++;
      disagreements.set(t.template, d);
    }
  }

  console.log(`statements: ${count} in ${files.length} files (best of ${RUNS} runs)`);
  console.log(
    `pgward: ${pg.ms.toFixed(0)} ms   squawk: ${sq.ms.toFixed(0)} ms   ratio pgward/squawk: ${(pg.ms / sq.ms).toFixed(2)}`,
  );
  console.log(
    `pgward vs expected verdicts: ${wrongVsTruth} statements differ; destructive statements missed by pgward: ${missedDestructive}`,
  );
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
  process.exitCode = missedDestructive > 0 ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
