// What src/deploy needs from a platform, whichever it is (Render's REST API, or any platform driven by
// shell commands). src/deploy owns the pipeline and its journal; a provider only triggers, waits, rolls
// back and reports the app's error rate. Providers never print: progress goes through `onProgress`.

/** Where a platform deploy ended. `pre_deploy_failed`: the platform ran the migration and it failed; the old version is still live. */
export type PlatformOutcome =
  | 'live'
  | 'build_failed'
  | 'pre_deploy_failed'
  | 'update_failed'
  | 'canceled'
  | 'failed';

export interface PlatformDeployResult {
  outcome: PlatformOutcome;
  /** The platform's id of this deploy (Render dep-…), or a generated one for the command provider. */
  platformDeployId: string | null;
  /** The platform's own words: final status, command exit code and its stderr tail (secrets redacted). */
  detail: string;
  durationMs: number;
}

/** A platform deploy as listed by the platform. */
export interface PlatformDeployRef {
  id: string;
  createdAt: string;
  commit?: string;
  image?: string;
}

export interface ProgressEvent {
  /** e.g. "build_in_progress", "running deploy command". */
  status: string;
  detail?: string;
}

export interface TriggerOptions {
  /** pgward's deploy id: sent where the platform allows a label, always in logs. */
  deployId: string;
  /** A commit or image to deploy; unset = the platform's default (latest of the branch). */
  commit?: string;
  image?: string;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** Counts of HTTP responses over a window, for the 5xx ratio. */
export interface RequestCounts {
  total: number;
  errors: number;
}

/** What a platform deploy runs: a commit of the repository, or an image reference. */
export interface PlatformVersion {
  commit?: string;
  image?: string;
}

export interface DeployProvider {
  readonly kind: 'render' | 'command';
  /** A line naming what is deployed (service name and id), for reports. */
  describe(): string;
  /** The platform deploy currently live (what a rollback returns to), or null when none / unknown. */
  liveDeploy(signal?: AbortSignal): Promise<string | null>;
  /** Starts a deploy; returns the platform's id as soon as it is known (recorded before waiting, so a crash can resume). */
  trigger(opts: TriggerOptions): Promise<string | null>;
  /** Waits for a started deploy to reach a terminal state. */
  wait(platformDeployId: string | null, opts: TriggerOptions): Promise<PlatformDeployResult>;
  /** Returns the code to `toDeployId` (the deploy live before ours) and waits until it is live. */
  rollback(toDeployId: string | null, opts: TriggerOptions): Promise<PlatformDeployResult>;
  /** HTTP request and 5xx counts over [since, until], or null when the platform exposes no such metric. */
  requestCounts(since: Date, until: Date, signal?: AbortSignal): Promise<RequestCounts | null>;
  /** Points the app at another database (per-key env var write where the platform has one) and deploys so it applies. */
  setDatabaseUrl(url: string, opts: TriggerOptions): Promise<PlatformDeployResult>;
  /** The commit (or image) the live deploy runs, for `promote`; null when none is live or the platform cannot tell. Absent: never known. */
  liveVersion?(signal?: AbortSignal): Promise<PlatformVersion | null>;
  /**
   * Deploys started through the API since `since`, newest first: after a crash between the trigger and
   * the journal write, the resumed run looks here for the deploy it may already have started.
   */
  apiDeploysSince?(since: Date, signal?: AbortSignal): Promise<PlatformDeployRef[]>;
  /** The connection URL of a platform database named by its id (Render dpg-…); absent when the platform has none. */
  databaseUrl?(databaseId: string, signal?: AbortSignal): Promise<string>;
}
