export {
  type DatabaseIdentity,
  describeIdentity,
  readDatabaseIdentity,
  sameDatabase,
  sameServer,
} from './database.js';
export {
  describeMatch,
  type EnvironmentMatch,
  type Identification,
  type IdentifiedTarget,
  type IdentifyOptions,
  type IdentitySummary,
  identificationSummary,
  identifyForWrite,
  identifyTarget,
  type MatchedBy,
  protectedMatch,
  refuseEnvironmentDatabase,
  stampNamedEnvironment,
  summaryOf,
  targetFor,
} from './identify.js';
export { strictestPolicy } from './policy.js';
export { readStamps, type Stamp, writeStamp } from './stamp.js';
