// Where a lint run's time goes, in one process: parsing (libpg-query's WebAssembly, the statement split)
// and analysis (the rules), measured on the same corpus several times in a row. The first pass is what a
// `pgward lint` run pays (V8 has not compiled anything yet); the later ones show the same work once the
// code is compiled and optimised. The difference is start-up cost that every process, and every worker
// thread (its own V8 isolate), pays again: why splitting a lint over threads gains little on 2 cores.
//
//   npm run build && node bench/lint/run.mjs --statements 50000 --files 500 --runs 1 --corpus DIR
//   node bench/lint/phases.mjs DIR [--passes 3]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// As the CLI does (src/cli/wasm-tiering.ts): baseline WebAssembly code only.
setFlagsFromString('--liftoff-only');
const DIST = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist');
const { ensureParser } = await import(join(DIST, 'sql', 'parser.js'));
const { prepareSection, analyzeSection } = await import(join(DIST, 'lint', 'analyze.js'));
// The PostgreSQL version the CLI assumes when none is given.
const { LATEST_PG } = await import(join(DIST, 'lint', 'version.js'));

const corpus = process.argv[2];
if (!corpus || corpus.startsWith('--')) {
  console.error('usage: node bench/lint/phases.mjs CORPUS_DIR [--passes 3]');
  process.exit(2);
}
const at = process.argv.indexOf('--passes');
const passes = at === -1 ? 3 : Number(process.argv[at + 1]);
const texts = readdirSync(corpus)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .map((f) => readFileSync(join(corpus, f), 'utf8'));

let t = performance.now();
await ensureParser();
console.log(`parser loaded in ${(performance.now() - t).toFixed(0)} ms; ${texts.length} files`);
for (let pass = 1; pass <= passes; pass++) {
  let parse = 0;
  let analyse = 0;
  let findings = 0;
  for (const text of texts) {
    t = performance.now();
    const section = prepareSection({ text, startLine: 1, wrapped: false, pgwardRunner: false }, false);
    const parsed = performance.now();
    const opts = { pgVersion: LATEST_PG.major, pgVersionNum: LATEST_PG.num, live: undefined };
    findings += analyzeSection(section, opts).findings.length;
    parse += parsed - t;
    analyse += performance.now() - parsed;
  }
  console.log(
    `pass ${pass}: parse ${parse.toFixed(0)} ms, analyse ${analyse.toFixed(0)} ms (${findings} findings)`,
  );
}
