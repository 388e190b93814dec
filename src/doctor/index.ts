// pgward doctor as a library: run the checks, format the report.
export { CHECK_IDS, type CheckId, JOB_NAMES, type JobName } from '../config/sections/doctor.js';
export { type DoctorOptions, runDoctor, thresholdsFor } from './doctor.js';
export { formatReport } from './format.js';
export { DEFAULT_THRESHOLDS, resolveThresholds, type Thresholds } from './thresholds.js';
export type {
  BackupsInfo,
  CheckResult,
  CheckStatus,
  DoctorReport,
  Figures,
  MigrationsInfo,
} from './types.js';
