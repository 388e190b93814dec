// pgward as a library: the same operations the CLI runs, with typed inputs and results.

export * from './backup/index.js';
export * from './clone/index.js';
export { formatDuration, parseDuration } from './config/duration.js';
export { FRAMEWORKS, type FrameworkName } from './config/frameworks.js';
export { findConfig, type LoadedConfig, loadConfig, parseConfigText } from './config/load.js';
export {
  defaultPolicy,
  type MigrationsSource,
  type Policy,
  resolveMigrationsSource,
  resolveTarget,
  type Target,
} from './config/target.js';
export {
  OTHER_HOST_STALE_MS,
  type OwnedMarker,
  type SweepResult,
  type SweptDatabase,
  sweepOrphans,
} from './db/owned.js';
export { loadSchemaFacts, readSchemaFacts } from './db/schema-facts.js';
export * from './doctor/index.js';
export { ExitCode, PgwardError, UsageError } from './errors.js';
export { loadMigrations, type MigrationFile, parseMigration } from './files/migration-files.js';
export type { MigrationState, MigrationStatusEntry, StatusReport } from './files/migration-status.js';
export * from './identity/index.js';
export { InterruptedError } from './interrupt.js';
export {
  decideGate,
  type Finding,
  type GateDecision,
  type GateResult,
  type LintFileResult,
  type LintOptions,
  type LintReport,
  lintMigration,
  lintMigrations,
  lintPaths,
  lintPrepared,
  lintSql,
  type PreparedLint,
  prepareMigrations,
  preparePaths,
  prepareSql,
  RULES,
  type Rule,
  reachesThreshold,
  type SchemaFacts,
  type SchemaNeeds,
} from './lint/index.js';
export { type BaselineOptions, type BaselineResult, baseline } from './migrate/baseline.js';
export { type MigrateEvent, type MigrateOptions, type MigrateResult, migrate } from './migrate/migrate.js';
export { type RollbackOptions, type RollbackResult, rollback } from './migrate/rollback.js';
export type { MigrationFailure } from './migrate/runner.js';
export { initProject, newMigration } from './migrate/scaffold.js';
export { getStatus, type StatusOptions } from './migrate/status.js';
export * from './recover/index.js';
export { redact, redactUrl } from './redact.js';
export * from './rehearse/index.js';
export * from './serve/index.js';
export { PGWARD_VERSION } from './version.js';
