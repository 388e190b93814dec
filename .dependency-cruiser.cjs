// The import graph of src/, checked in CI by `npm run check:imports` (docs/architecture.md explains
// the layers). Type-only imports count: a type is coupling too.
//
//   cli  ->  capabilities  ->  identity  ->  db, pgtools  ->  files  ->  config, sql  ->  base
//
// base = src/errors.ts, src/redact.ts, src/interrupt.ts, src/version.ts, src/assets.ts. Capabilities may use each
// other (migrate -> backup, rehearse -> clone...) as long as no folders form a loop.

const CAPABILITIES = '(lint|migrate|frameworks|guard|backup|clone|recover|rehearse|doctor|serve|platform|deploy|import)';
const capability = `^src/${CAPABILITIES}/`;
const above = (layers) => layers.map((l) => `^src/${l}/`);

/** Each low layer, and the folders above it that it must never import. */
const LOW_LAYERS = [
  ['base', '^src/(errors|redact|interrupt|version|assets)\\.ts$', ['^src/[^/]+/']],
  ['config', '^src/config/', above(['sql', 'files', 'db', 'pgtools', 'identity'])],
  ['sql', '^src/sql/', above(['config', 'files', 'db', 'pgtools', 'identity'])],
  ['files', '^src/files/', above(['db', 'pgtools', 'identity'])],
  ['db', '^src/db/', above(['pgtools', 'identity'])],
  ['pgtools', '^src/pgtools/', above(['db', 'identity'])],
  ['identity', '^src/identity/', []],
];

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment:
        'Folders must not import each other in a loop: move the shared piece down a layer (docs/architecture.md).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'only-cli-imports-cli',
      comment: 'src/cli is the thin adapter on top: no capability or library code may depend on it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'lint-never-imports-db-or-pg',
      comment: 'Lint is pure analysis: schema facts are passed in as data (src/sql/schema-facts.ts).',
      severity: 'error',
      from: { path: '^src/lint/' },
      to: { path: ['^src/db/', '(^|/)node_modules/(@types/)?(pg|pg-copy-streams|pg-protocol|pg-pool)/'] },
    },
    {
      name: 'only-the-cli-imports-the-library-entry',
      comment: 'src/index.ts is the public API on top of everything: code inside src imports what it needs directly.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/', '^src/index\\.ts$'] },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'low-layers-never-import-capabilities',
      comment: 'config, sql, files, db, pgtools and identity sit below every capability.',
      severity: 'error',
      from: { path: '^src/(config|sql|files|db|pgtools|identity)/' },
      to: { path: capability },
    },
    ...LOW_LAYERS.filter(([, , forbidden]) => forbidden.length > 0).map(([name, path, forbidden]) => ({
      name: `layer-order-${name}`,
      comment: `${name} is below ${forbidden.join(', ')} (see the layer line at the top of this file).`,
      severity: 'error',
      from: { path },
      to: { path: forbidden },
    })),
    {
      name: 'no-unresolvable-imports',
      comment: 'An import the checker cannot resolve is an import it cannot check.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
};
