// Disaster recovery into a new database: the library behind `pgward recover`.
export {
  type RecoverOptions,
  type RecoverResult,
  type RecoveryRecord,
  recover,
  recoveryName,
} from './recover.js';
