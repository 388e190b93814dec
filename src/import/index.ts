// `pgward import`: JSON files and Redis into PostgreSQL, validated before and proven after (docs/import.md).
export { ContentHash, canonicalJson } from './canonical.js';
export { type ImportSettings, importSettings } from './config.js';
export {
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
  type ImportStatus,
  importData,
} from './import.js';
export { type RedisSnapshotServer, startSnapshotServer } from './snapshot.js';
export {
  expandPaths,
  type JsonFilesOptions,
  JsonFilesSource,
  type KindFrom,
  parseKindFrom,
} from './source-files.js';
export { RedisSource, type RedisSourceOptions } from './source-redis.js';
export { mappingMigrationSql } from './target.js';
export * from './types.js';
