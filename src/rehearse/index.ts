// Migration rehearsal on a throwaway copy: the library behind `pgward rehearse`.
export { type RawRehearsal, type RehearsalSettings, rehearsalSchema, rehearsalSettings } from './config.js';
export {
  type MigrationVerdict,
  type RehearseOptions,
  type RehearseResult,
  rehearse,
  type SmokeResult,
} from './rehearse.js';
export { markdown as rehearsalMarkdown } from './report.js';
export type { ConstraintChange, LockHold, MigrationTrace, StatementTrace } from './tracer.js';
