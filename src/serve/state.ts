// What the refresh loop produces and every endpoint reads: one immutable snapshot per refresh, with its
// response bodies rendered once, so a request costs a map lookup and a write, never a query.
import type { JobName } from '../config/sections/doctor.js';
import type { DoctorReport } from '../doctor/types.js';
import type { DashboardData } from './dashboard/collect.js';
import type { DashboardView } from './dashboard/view.js';
import type { JobRow } from './store.js';

export interface JobState {
  job: JobName;
  schedule: string;
  nextRunAt: string | null;
  last: JobRow | null;
  lastOkAt: string | null;
}

export interface Snapshot {
  env: string;
  refreshedAt: string;
  refreshMs: number;
  lastRefreshDurationMs: number;
  report: DoctorReport;
  connected: boolean;
  jobs: JobState[];
  alerts: string[];
  refreshes: number;
  refreshErrors: number;
  startedAt: string;
  /** What the dashboard shows beyond the report, collected by the same refresh. */
  dashboard: DashboardData;
}

export interface Rendered {
  status: 'ok' | 'degraded' | 'down';
  code: number;
  /** /health for a client with the token (or when no token is configured). */
  health: string;
  /** /health without the token: status, database and migration counts only. */
  healthSummary: string;
  migrations: string;
  metrics: string;
  /** The dashboard's view of this snapshot (pages are rendered from it, a page at a time). */
  dashboard?: DashboardView;
  /** `serve --all`: every environment's dashboard view, in pgward.yaml's order (`/` lists them). */
  dashboards?: readonly DashboardView[];
}
