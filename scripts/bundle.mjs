// Bundles the CLI into dist/bin/ with esbuild. The CLI starts for every command, so module loading
// matters: one file per lazily loaded command instead of ~200 small modules cuts ~70 ms from every
// run (measured with bench/migrate-overhead). The library (dist/*.js + .d.ts) still comes from tsc.
// libpg-query (loads its WebAssembly next to itself) and the AWS SDK (large, loaded only for s3://)
// stay in node_modules.
import { build } from 'esbuild';
import { writeBuildInfo } from './build-info.mjs';

await build({
  entryPoints: { pgward: 'src/cli/main.ts' },
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
  sourcemap: true,
  logLevel: 'warning',
});

// What `pgward --version` reports for the npm package (src/version.ts).
writeBuildInfo('dist/build-info.json', 'npm');
