// Shapes of Render's REST API that pgward reads (research note §2, §6; [R-TS]). Only the fields used.

export type RenderDeployStatus =
  | 'created'
  | 'queued'
  | 'build_in_progress'
  | 'update_in_progress'
  | 'live'
  | 'deactivated'
  | 'build_failed'
  | 'update_failed'
  | 'canceled'
  | 'pre_deploy_in_progress'
  | 'pre_deploy_failed';

/** Terminal statuses ([R-CLI] pkg/deploy/util.go IsComplete). */
export const TERMINAL_DEPLOY_STATUSES: readonly RenderDeployStatus[] = [
  'live',
  'deactivated',
  'build_failed',
  'update_failed',
  'canceled',
  'pre_deploy_failed',
];

export interface RenderService {
  id: string;
  name: string;
  type: string;
  suspended?: string;
  serviceDetails?: {
    plan?: string;
    healthCheckPath?: string;
    url?: string;
    envSpecificDetails?: { preDeployCommand?: string; buildCommand?: string; startCommand?: string };
  };
}

export interface RenderDeploy {
  id: string;
  status: RenderDeployStatus;
  trigger?: string;
  commit?: { id: string; message?: string; createdAt?: string };
  image?: { ref?: string; sha?: string };
  createdAt: string;
  updatedAt?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface RenderEnvVar {
  key: string;
  value: string;
}

export interface RenderPostgres {
  id: string;
  name: string;
  plan: string;
  status: string;
  databaseName?: string;
  version?: string;
}

export interface RenderConnectionInfo {
  password: string;
  internalConnectionString: string;
  externalConnectionString: string;
}

export interface RenderRecoveryInfo {
  recoveryStatus: 'AVAILABLE' | 'BACKUP_NOT_READY' | 'NOT_AVAILABLE';
  startsAt?: string;
}

export interface RenderExport {
  id: string;
  createdAt: string;
  url?: string;
}

export interface RenderServicePatch {
  serviceDetails?: { preDeployCommand?: string; healthCheckPath?: string; plan?: string };
  autoDeploy?: 'yes' | 'no';
  autoDeployTrigger?: 'commit' | 'off' | 'checksPass';
}
