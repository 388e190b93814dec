// `npm run build:exe`: pgward as one executable file for linux-x64 (dist/exe/pgward-linux-x64), for
// machines without Node.js (docs/install.md says why Node's own single-executable support and not a
// packager). Steps: one CommonJS bundle with every dependency inside (SEA runs a single CommonJS script
// and its require() only knows Node's built-in modules), the build stamp, the SEA blob with the bundle,
// its V8 code cache and the assets of scripts/exe-assets.mjs, then a copy of this Node binary with the
// blob injected by postject.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { writeBuildInfo } from './build-info.mjs';
import { EXE_ASSETS } from './exe-assets.mjs';

// --out and --no-code-cache exist for bench/exe, which compares variants; releases use the defaults.
const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: 'dist/exe' },
    'no-code-cache': { type: 'boolean', default: false },
  },
});
const OUT = opts.out;
const EXE = join(OUT, `pgward-${process.platform}-${process.arch}`);
const SENTINEL = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

// libpg-query starts its Emscripten module with no argument, which reads the .wasm beside itself.
// In the executable it gets parserModuleArg() (src/sql/parser-wasm.ts) instead. If libpg-query's code
// changes shape, the build fails here rather than shipping an executable whose parser cannot load.
const parserWasm = {
  name: 'pgward-parser-wasm',
  setup(b) {
    b.onLoad({ filter: /libpg-query[\\/]wasm[\\/]index\.c?js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const call = /\(0, libpg_query_js_1\.default\)\(\)/;
      if (!call.test(src)) throw new Error(`${args.path}: libpg-query's module factory call not found`);
      const arg = `require(${JSON.stringify(resolve('src/sql/parser-wasm.ts'))}).parserModuleArg()`;
      return { contents: src.replace(call, `(0, libpg_query_js_1.default)(${arg})`), loader: 'js' };
    });
  },
};

async function bundle() {
  await build({
    entryPoints: ['src/cli/main.ts'],
    outfile: join(OUT, 'pgward.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // pg-native is an optional native add-on pg only requires when asked for (pgward never does).
    external: ['pg-native'],
    // The ESM sources use import.meta.url (assets.ts); in the CommonJS bundle it is the executable.
    define: { 'import.meta.url': '__pgwardImportMetaUrl' },
    banner: { js: 'var __pgwardImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [parserWasm],
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

function filesBelow(dir) {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

function assets() {
  const out = {};
  for (const a of EXE_ASSETS) {
    if (a.dir) {
      if (!existsSync(a.dir)) {
        if (a.optional) continue;
        throw new Error(`asset folder ${a.dir} does not exist`);
      }
      for (const f of filesBelow(a.dir)) out[relative('.', f)] = resolve(f);
    } else {
      if (!existsSync(a.file)) throw new Error(`asset ${a.key}: ${a.file} does not exist`);
      out[a.key] = resolve(a.file);
    }
  }
  return out;
}

function stripBinary(file) {
  try {
    execFileSync('strip', [file], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write('note: `strip` (binutils) not found: the executable keeps Node’s symbols\n');
    return false;
  }
}

function run(cmd, args) {
  // Quiet unless it fails (postject's ELF library warns about every note section it does not know).
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    throw new Error(`${cmd} ${args.join(' ')} failed`);
  }
}

// Only a Node binary built with single-executable support carries the fuse postject flips (the
// official builds, NodeSource's; some distributions' own builds do not).
function checkNodeSupportsSea() {
  if (!readFileSync(process.execPath).includes(SENTINEL)) {
    throw new Error(
      `${process.execPath} (Node ${process.version}) was built without single-executable support: ` +
        'build with an official Node.js 20 binary (nodejs.org or NodeSource)',
    );
  }
}

const started = performance.now();
checkNodeSupportsSea();
rmSync(OUT, { recursive: true, force: true });
await bundle();
const info = writeBuildInfo(join(OUT, 'build-info.json'), 'exe');
const config = {
  main: join(OUT, 'pgward.cjs'),
  output: join(OUT, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true,
  // V8's compiled code for the bundle, made at build time: start-up skips most of the compiling.
  useCodeCache: !opts['no-code-cache'],
  assets: assets(),
};
writeFileSync(join(OUT, 'sea-config.json'), `${JSON.stringify(config, null, 2)}\n`);
run(process.execPath, ['--experimental-sea-config', join(OUT, 'sea-config.json')]);
copyFileSync(process.execPath, EXE);
chmodSync(EXE, 0o755);
// Node's own symbols and debug information (~12 MB of the official binary) are not needed to run it.
const stripped = stripBinary(EXE);
run(process.execPath, [
  'node_modules/postject/dist/cli.js',
  EXE,
  'NODE_SEA_BLOB',
  config.output,
  '--sentinel-fuse',
  SENTINEL,
]);
const mb = (statSync(EXE).size / 1e6).toFixed(1);
const secs = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `${EXE}: pgward ${info.version} (${info.commit}), ${mb} MB${stripped ? '' : ' (not stripped)'}, ` +
    `code cache ${config.useCodeCache ? 'on' : 'off'}, built in ${secs} s\n`,
);
