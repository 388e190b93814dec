// What `pgward deploy` takes, tells as it runs, and returns.
import type pg from 'pg';
import type { ProjectOptions, ResolvedProject } from '../config/project.js';
import type { DeployProvider } from '../platform/types.js';
import type { DeploySettings } from './config.js';
import type { DeployMigration, DeployRecord, DeployStep, StepName } from './journal.js';
import type { WritesSince } from './writes.js';

export interface DeployOptions extends ProjectOptions {
  /** Versions a person approves (as `migrate --approve`): recorded, bound to the files as they are now. */
  approve?: string[] | undefined;
  /** A commit or image for the platform (PGWARD_COMMIT / PGWARD_IMAGE for the command provider). */
  commit?: string | undefined;
  image?: string | undefined;
  /** After a crash between trigger and journal: the platform deploy to wait on (`new`: start another). */
  adopt?: string | undefined;
  /** Where the deploy commands run (default: pgward.yaml's folder, else the working directory). */
  cwd?: string | undefined;
  /** How long `migrate` waits for the migration lock (ms, default 60 000). */
  lockWaitMs?: number | undefined;
  /** Aborting stops the step that runs; the deploy stays resumable. */
  signal?: AbortSignal | undefined;
  onEvent?: ((e: DeployEvent) => void) | undefined;
  /** A provider built by the caller (library use); default: providerFor(the environment's deploy: block). */
  provider?: DeployProvider | undefined;
}

export type DeployEvent =
  | { type: 'start'; id: string; env: string; provider: string }
  | { type: 'resume'; id: string; stoppedAt: string }
  | { type: 'step-start'; step: StepName }
  | { type: 'step-end'; step: DeployStep }
  | { type: 'step-kept'; step: DeployStep }
  | { type: 'progress'; step: StepName; detail: string };

/** What the database policy says after a rollback of the code (issue item 5). */
export interface DatabaseDecision {
  /** keep: every migration was backward compatible (or there was none), the schema stays. */
  action: 'keep' | 'needs-approval';
  incompatible: DeployMigration[];
  writesSince: WritesSince | null;
  /** The exact commands a person runs to change the database (nothing runs without them). */
  commands: string[];
}

export interface DeployResult {
  deploy: DeployRecord;
  resumed: boolean;
  /** Versions the gate blocks (exit 6) and the command that approves them. */
  blocked: string[];
  approveCommand: string | null;
  database: DatabaseDecision | null;
  exitCode: number;
}

/** Everything a step needs: the resolved project, the provider, the journal's connection and record. */
export interface PipelineContext {
  opts: DeployOptions & ResolvedProject;
  settings: DeploySettings;
  provider: DeployProvider;
  /** The journal's connection; it holds the deploy lock. */
  client: pg.Client;
  rec: DeployRecord;
  resumed: boolean;
  /** The journaled attempt of the step now running, when an earlier run started it and stopped. */
  priorAttempt: DeployStep | undefined;
  /** Set by preflight: the framework running the migrations ('pgward'/'dbmate' = pgward's runner). */
  framework: string;
  blocked: string[];
  database: DatabaseDecision | null;
  emit: (e: DeployEvent) => void;
}

/** How a step ended: its status and one line; `exitCode` ends the pipeline with that code. */
export interface StepOutcome {
  status: 'done' | 'failed' | 'skipped' | 'interrupted';
  detail: string;
  exitCode?: number;
}
