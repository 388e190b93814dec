// pgward as a library: the public API, and nothing else. Every name here is a promise (documented in
// docs/library.md, with an @example on every function); anything not listed is internal and may change.
// Named exports only, so what is public is decided here, not by whatever a module happens to export.
//
// The error contract, the same for every function: a function THROWS a PgwardError (with `exitCode`,
// `hint`) when the operation cannot start or refuses to (bad input or config, no connection, drift,
// a lock held elsewhere, a file it cannot run). It RETURNS a result for every outcome it reached
// itself, with the CLI's `exitCode` on it: applied, nothing to do, blocked by the gate (6), a migration
// that failed (`failure`), interrupted (130). Any other error is unexpected (a bug, or a lost connection).

// --- Backups you can prove.
export {
  type BackupManifest,
  type BackupReason,
  type BackupSettings,
  backupSettings,
  type Catalog,
  createBackupForTarget,
  findBackup,
  openStorage,
  type PruneOptions,
  type PruneResult,
  pruneBackups,
  type RestoreOptions,
  type RestoreResult,
  readCatalog,
  restoreBackup,
  type Storage,
  type TargetBackupOptions,
  type VerifyOptions,
  type VerifyResult,
  verifyBackup,
} from './backup/index.js';
// --- Copies, rehearsals, recovery.
export {
  type CloneEvent,
  type CloneOptions,
  type CloneResult,
  clone,
  type Endpoint,
  type MaskingPlan,
  maskingFor,
} from './clone/index.js';
export { cloneViaNeon, type NeonCloneOptions, type NeonCloneResult } from './clone/neon.js';
// --- Configuration: what the CLI resolves from its flags, for callers that want the pieces.
export type { FrameworkLayout, FrameworkName } from './config/frameworks.js';
export { findConfig, type LoadedConfig, loadConfig } from './config/load.js';
export { type ProjectOptions, type ResolvedProject, resolveProject } from './config/project.js';
export {
  defaultPolicy,
  type MigrationsSource,
  type Policy,
  resolveMigrationsSource,
  resolveTarget,
  type Target,
} from './config/target.js';
// --- Cleanup: databases pgward created (scratch, drill, clone) that a killed run left behind.
export {
  OTHER_HOST_STALE_MS,
  type OwnedMarker,
  type SweepResult,
  type SweptDatabase,
  sweepOrphans,
} from './db/owned.js';
// --- Live facts the lint can use (read just before deciding, from the database concerned).
export { loadSchemaFacts, readSchemaFacts } from './db/schema-facts.js';
// --- Errors and exit codes (one table for the CLI and the library).
// --- Deploys: the pipeline (preflight, backup, migrate, platform deploy, verify, rollback) and its journal.
export {
  type DatabaseDecision,
  type DatabaseRollback,
  type DatabaseRollbackOptions,
  type DatabaseRollbackResult,
  type DeployEvent,
  type DeployMigration,
  type DeployOptions,
  type DeployRecord,
  type DeployResult,
  type DeployStatus,
  type DeployStatusOptions,
  type DeployStep,
  deploy,
  deployStatus,
  type JournalEntry,
  listDeployJournal,
  rollbackDeployDatabase,
  type StepName,
  type StepStatus,
  type WritesSince,
} from './deploy/index.js';
export {
  type PromoteCheck,
  type PromoteOptions,
  type PromoteReport,
  promoteChecks,
} from './deploy/promote.js';
export { type PromotedVersion, promotedVersion } from './deploy/promote-version.js';
export {
  type RecoveredDatabase,
  type RecoverSwitchOptions,
  switchToRecovered,
} from './deploy/recover-switch.js';
export {
  type SwitchOptions,
  type SwitchResult,
  switchDatabase,
} from './deploy/switch.js';
export { type SwitchValidation, validateSwitchTarget } from './deploy/switch-validate.js';
// --- Health and the long-running service.
export {
  type CheckResult,
  type DoctorOptions,
  type DoctorReport,
  runDoctor,
} from './doctor/index.js';
export { ExitCode, type ExitCodeValue, PgwardError, UsageError } from './errors.js';
export { loadMigrations, type MigrationFile } from './files/migration-files.js';
export type { MigrationState, MigrationStatusEntry, StatusReport } from './files/migration-status.js';
export { discoverLayouts } from './frameworks/discover.js';
export { locateMigrations } from './frameworks/locate.js';
export { type PolicyInspectorOptions, policyInspector } from './guard/inspect.js';
export { type Guard, type GuardOptions, startGuard } from './guard/proxy.js';
export { type GuardedCommandOptions, type GuardedCommandResult, runGuardedCommand } from './guard/run.js';
export type { Inspector, StatementContext, StatementRecord, Verdict } from './guard/types.js';
// --- Identity: which environment(s) a database is, from what the server says, not the URL's spelling.
export {
  type DatabaseIdentity,
  describeIdentity,
  type EnvironmentMatch,
  type Identification,
  type IdentifiedTarget,
  type IdentifyOptions,
  type IdentitySummary,
  identifyTarget,
  type MatchedBy,
  readDatabaseIdentity,
  sameDatabase,
} from './identity/index.js';
export {
  canonicalJson,
  type ImportMapping,
  type ImportOptions,
  type ImportProblem,
  type ImportProgress,
  type ImportReport,
  type ImportResult,
  type ImportSettings,
  type ImportSource,
  type ImportStatus,
  importData,
  importSettings,
  type JsonFilesOptions,
  JsonFilesSource,
  mappingMigrationSql,
  type ProofEntry,
  type RedisSnapshotServer,
  RedisSource,
  type RedisSourceOptions,
  type SourceBatch,
  type SourceRecord,
  startSnapshotServer,
} from './import/index.js';
export { InterruptedError } from './interrupt.js';
// --- Safety analysis (also `pgward/lint`, which does not load the database driver).
export {
  decideGate,
  type Finding,
  type GateDecision,
  type GateResult,
  type LintFileResult,
  type LintOptions,
  type LintReport,
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
  type Severity,
} from './lint/index.js';
// --- Migrations: one call each, like the CLI (`url`/`env`/`dir`/`config`), or with a resolved target.
export { type BaselineOptions, type BaselineResult, baseline } from './migrate/baseline.js';
export { connectEarly, type EarlyConnections } from './migrate/early-connect.js';
export {
  type ExecEvent,
  type ExecOptions,
  type ExecRefusal,
  type ExecResult,
  execGuarded,
  statementFingerprint,
} from './migrate/exec.js';
export type { FrameworkGate } from './migrate/framework-gate.js';
export {
  type FrameworkMigrateEvent,
  type FrameworkMigrateOptions,
  type FrameworkMigrateResult,
  migrateFramework,
} from './migrate/framework-migrate.js';
export { type FrameworkPlan, type FrameworkPlanOptions, planFramework } from './migrate/framework-plan.js';
export type { Approval, GateReasonSummary, MigrationGate } from './migrate/gate.js';
export { type MigrateEvent, type MigrateOptions, type MigrateResult, migrate } from './migrate/migrate.js';
export {
  type MigrationPlan,
  type PlannedMigration,
  type PlanOptions,
  planMigrations,
  type RunSelection,
} from './migrate/planning.js';
export {
  type RollbackEvent,
  type RollbackOptions,
  type RollbackResult,
  rollback,
} from './migrate/rollback.js';
export type { MigrationFailure } from './migrate/runner.js';
export { type InitResult, initProject, newMigration } from './migrate/scaffold.js';
export { getStatus, type StatusOptions, status } from './migrate/status.js';
export {
  type ProviderForOptions,
  providerFor,
  type RenderDeployConfig,
  renderApiKey,
  renderProviderFor,
} from './platform/index.js';
export { type CreateBranchOptions, NeonClient, type NeonClientOptions } from './platform/neon/client.js';
export { DEFAULT_NEON_API_URL } from './platform/neon/http.js';
export { type NeonRecoverOptions, type NeonRecoverResult, recoverViaNeon } from './platform/neon/recover.js';
export {
  createWorkBranch,
  type NeonHandle,
  type NeonPurpose,
  neonHandleFor,
  sweepNeonBranches,
  type WorkBranch,
} from './platform/neon/setup.js';
export type { NeonBranch, NeonBranchCreated, NeonEndpoint, NeonOperation } from './platform/neon/types.js';
export { RenderClient, type RenderClientOptions } from './platform/render/client.js';
export {
  backupFromRenderExport,
  type RenderExportBackupOptions,
  type RenderExportBackupResult,
} from './platform/render/export-backup.js';
export { type RenderPitrOptions, type RenderPitrResult, recoverRenderPitr } from './platform/render/pitr.js';
export { RenderProvider, type RenderProviderOptions } from './platform/render/provider.js';
export { type RenderSetupOptions, type RenderSetupResult, renderSetup } from './platform/render/setup.js';
export type {
  DeployProvider,
  PlatformDeployResult,
  PlatformOutcome,
  PlatformVersion,
  ProgressEvent,
  RequestCounts,
  TriggerOptions,
} from './platform/types.js';
export { type RecoverOptions, type RecoverResult, recover } from './recover/index.js';
export {
  type RehearsalSettings,
  type RehearseOptions,
  type RehearseResult,
  rehearsalMarkdown,
  rehearsalSettings,
  rehearse,
} from './rehearse/index.js';
export { type NeonRehearseOptions, rehearseViaNeon } from './rehearse/neon.js';
export {
  type FleetEnvironment,
  type FleetHandle,
  type FleetMember,
  type FleetOptions,
  type FleetStats,
  type ServeHandle,
  type ServeOptions,
  type ServeSettings,
  serveSettings,
  startFleet,
  startServe,
} from './serve/index.js';
export { type BuildInfo, buildInfo, PGWARD_VERSION } from './version.js';
