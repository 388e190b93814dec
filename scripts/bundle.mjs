// Bundles the CLI into dist/bin/ with esbuild. The CLI starts for every command, so module loading
// matters: one file per lazily loaded command instead of ~200 small modules cuts ~70 ms from every
// run (measured with bench/migrate-overhead). The library (dist/*.js + .d.ts) still comes from tsc.
// libpg-query (loads its WebAssembly next to itself) and the AWS SDK (large, loaded only for s3://)
// stay in node_modules.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { build } from 'esbuild';
import { writeBuildInfo } from './build-info.mjs';

// node-postgres asks at load time whether it runs on Cloudflare Workers; on Node 20 (no `navigator`) the
// question is answered by touching the global `Response`, which loads undici (fetch) — ~60 ms of CPU on
// every command that connects, for an answer that is always "no" for this CLI. The bundle asks nothing.
const PG_STREAM_CHECK = 'if (isCloudflareRuntime()) {';
const nodePostgresOnNode = {
  name: 'node-postgres-on-node',
  setup(b) {
    b.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(PG_STREAM_CHECK))
        throw new Error(`${args.path}: the runtime check to skip has changed: update scripts/bundle.mjs`);
      return { contents: text.replace(PG_STREAM_CHECK, 'if (false) {'), loader: 'js' };
    });
  },
};

// Chunk names carry a content hash: without emptying the folder, every build would leave the previous
// build's chunks beside the new ones (and in the npm package).
rmSync('dist/bin', { recursive: true, force: true });

await build({
  // The lint worker (src/lint/parallel.ts) is loaded by path from next to the chunk that starts it.
  entryPoints: { pgward: 'src/cli/main.ts', 'lint-worker': 'src/lint/lint-worker.ts' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['libpg-query', '@aws-sdk/*', 'pg-native'],
  // Bundled CommonJS dependencies (pg) call require(): give the ESM bundle one.
  banner: {
    js: "import { createRequire as __pgwardRequire } from 'node:module'; const require = __pgwardRequire(import.meta.url);",
  },
  plugins: [nodePostgresOnNode],
  sourcemap: true,
  logLevel: 'warning',
});

// What `pgward --version` reports for the npm package (src/version.ts).
writeBuildInfo('dist/build-info.json', 'npm');

// The dashboard's browser files (no CDN: served by `pgward serve` from dist/assets): ours, and uPlot's
// minified script and stylesheet with its licence.
const assets = 'dist/assets';
mkdirSync(assets, { recursive: true });
for (const f of ['dashboard.js', 'dashboard.css'])
  copyFileSync(`src/serve/dashboard/assets/${f}`, `${assets}/${f}`);
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
for (const f of ['uPlot.iife.min.js', 'uPlot.min.css']) copyFileSync(`${uplot}/dist/${f}`, `${assets}/${f}`);
copyFileSync(`${uplot}/LICENSE`, `${assets}/uPlot.LICENSE`);
