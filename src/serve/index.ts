// pgward serve as a library: start it, read its snapshot, close it.
export { type AlertEvent, postWebhook } from './alerts.js';
export { type ServeFlags, type ServeSettings, serveSettings } from './config.js';
export {
  type FleetEnvironment,
  type FleetHandle,
  type FleetMember,
  type FleetOptions,
  type FleetStats,
  startFleet,
} from './fleet.js';
export { type ServeHandle, type ServeOptions, startServe } from './serve.js';
export type { JobState, Rendered, Snapshot } from './state.js';
export { type JobRow, listJobs } from './store.js';
