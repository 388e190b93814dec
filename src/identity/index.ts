export {
  type DatabaseIdentity,
  describeIdentity,
  readDatabaseIdentity,
  sameDatabase,
  sameServer,
} from './database.js';
export { describeSummary, type IdentitySummary, type MatchedBy } from './describe.js';
export {
  describeMatch,
  type EnvironmentMatch,
  type Identification,
  type IdentifiedTarget,
  type IdentifyOptions,
  identificationSummary,
  identifyForWrite,
  identifyTarget,
  protectedMatch,
  stampNamedEnvironment,
  summaryOf,
} from './identify.js';
export { strictestPolicy } from './policy.js';
export { refuseEnvironmentDatabase, targetFor } from './refuse.js';
export { readStamps, type Stamp, writeStamp } from './stamp.js';
