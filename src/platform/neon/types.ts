// The parts of Neon API v2 bodies pgward reads (research note §4, §6.6; snake_case as on the wire).

export type NeonOperationStatus =
  | 'scheduling'
  | 'running'
  | 'finished'
  | 'failed'
  | 'error'
  | 'cancelling'
  | 'cancelled'
  | 'skipped';

export const NEON_DONE: ReadonlySet<string> = new Set(['finished', 'skipped']);
export const NEON_FAILED: ReadonlySet<string> = new Set(['failed', 'error', 'cancelled']);

export interface NeonOperation {
  id: string;
  project_id: string;
  branch_id?: string;
  endpoint_id?: string;
  action: string;
  status: NeonOperationStatus;
  error?: string;
  failures_count?: number;
  created_at?: string;
  updated_at?: string;
  total_duration_ms?: number;
}

export interface NeonBranch {
  id: string;
  project_id: string;
  parent_id?: string;
  parent_lsn?: string;
  parent_timestamp?: string;
  name: string;
  current_state: string;
  pending_state?: string;
  default?: boolean;
  primary?: boolean;
  protected?: boolean;
  created_at: string;
  updated_at?: string;
}

export interface NeonEndpoint {
  id: string;
  host: string;
  project_id: string;
  branch_id: string;
  type: 'read_write' | 'read_only';
  current_state: string;
}

export interface NeonConnectionUri {
  connection_uri: string;
  connection_parameters: {
    database: string;
    password: string;
    role: string;
    host: string;
    pooler_host: string;
  };
}

export interface NeonBranchCreated {
  branch: NeonBranch;
  endpoints: NeonEndpoint[];
  operations: NeonOperation[];
  roles?: { name: string }[];
  databases?: { name: string; owner_name: string }[];
  connection_uris?: NeonConnectionUri[];
}
