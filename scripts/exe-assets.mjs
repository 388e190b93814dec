// The files the single executable carries besides its code, embedded as SEA assets and read at run time
// with readAsset(key) (src/assets.ts), which reads `<package root>/<key>` outside the executable.
// Add an entry here when pgward starts reading a new file at run time (e.g. the dashboard's files):
// `file` is where the build finds it, `key` the name the code asks for. A `dir` entry embeds every
// file below it, keyed by its path relative to the repository (so the disk fallback finds the same files).
export const EXE_ASSETS = [
  // The SQL parser (src/sql/parser-wasm.ts).
  { key: 'libpg-query.wasm', file: 'node_modules/libpg-query/wasm/libpg-query.wasm' },
  // The build stamp behind --version (src/version.ts): the executable's own, kind "exe".
  { key: 'dist/build-info.json', file: 'dist/exe/build-info.json' },
  // The dashboard's static files served by `pgward serve` (copied into dist/assets by scripts/bundle.mjs).
  { dir: 'dist/assets' },
];
