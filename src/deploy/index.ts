// Deploy orchestration: the library behind `pgward deploy`.
export { type DeploySettings, deploySettings, type VerifySettings } from './config.js';
export {
  type DatabaseRollbackOptions,
  type DatabaseRollbackResult,
  rollbackDeployDatabase,
} from './db-rollback.js';
export type {
  DatabaseRollback,
  DeployMigration,
  DeployRecord,
  DeployStatus,
  DeployStep,
  StepName,
  StepStatus,
} from './journal.js';
export { deploy } from './pipeline.js';
export { type DeployStatusOptions, deployStatus, type JournalEntry, listDeployJournal } from './status.js';
export type { DatabaseDecision, DeployEvent, DeployOptions, DeployResult } from './types.js';
export type { WritesSince } from './writes.js';
