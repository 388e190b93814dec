// A typed client of Neon's API v2 (research note §4): branches (create from a parent at head, a timestamp
// or an LSN, with a read-write endpoint; find by id or name; delete; restore with preserve_under_name),
// operations polled to a terminal status, and the DIRECT connection URI (pooled=false: pgward's own
// session work — advisory locks, SET lock_timeout, LISTEN — must never go through the `-pooler` host).
// Passwords read from the API are registered as secrets before anything can print them.
import { PgwardError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import { NeonHttp, type NeonHttpOptions, neonSleep } from './http.js';
import {
  NEON_DONE,
  NEON_FAILED,
  type NeonBranch,
  type NeonBranchCreated,
  type NeonEndpoint,
  type NeonOperation,
} from './types.js';

export interface NeonClientOptions extends NeonHttpOptions {
  /** Interval between two polls of an operation (default 1 s, as Neon suggests). */
  pollMs?: number;
  /** Give up waiting for operations after this long (default 10 min). */
  operationTimeoutMs?: number;
}

export interface CreateBranchOptions {
  /** The parent branch id (default: the project's default branch). */
  parentId?: string;
  name?: string;
  /** Branch from the parent's state at this time (at most one of parentTimestamp / parentLsn). */
  parentTimestamp?: Date;
  parentLsn?: string;
  signal?: AbortSignal;
  /** Called as soon as Neon has answered, before the operations are waited for (so a caller can clean up). */
  onCreated?: (created: NeonBranchCreated) => void;
}

const enc = encodeURIComponent;

export class NeonClient {
  readonly http: NeonHttp;
  private readonly pollMs: number;
  private readonly opTimeoutMs: number;

  constructor(opts: NeonClientOptions) {
    this.http = new NeonHttp(opts);
    this.pollMs = opts.pollMs ?? 1000;
    this.opTimeoutMs = opts.operationTimeoutMs ?? 10 * 60_000;
  }

  private p(project: string): string {
    return `/projects/${enc(project)}`;
  }

  async getBranch(project: string, branchId: string, signal?: AbortSignal): Promise<NeonBranch> {
    const r = await this.http.request<{ branch: NeonBranch }>(
      'GET',
      `${this.p(project)}/branches/${enc(branchId)}`,
      undefined,
      signal,
    );
    return r.branch;
  }

  /** Every branch of the project (one page of up to 10,000, Neon's maximum). */
  async listBranches(project: string, signal?: AbortSignal): Promise<NeonBranch[]> {
    const r = await this.http.request<{ branches: NeonBranch[] }>(
      'GET',
      `${this.p(project)}/branches?limit=10000`,
      undefined,
      signal,
    );
    return r.branches ?? [];
  }

  /** A branch by id (br-…) or by name; undefined `ref` is the project's default branch. */
  async findBranch(project: string, ref: string | undefined, signal?: AbortSignal): Promise<NeonBranch> {
    const all = await this.listBranches(project, signal);
    const hit =
      ref === undefined ? all.find((b) => b.default) : all.find((b) => b.id === ref || b.name === ref);
    if (!hit)
      throw new PgwardError(
        `Neon project ${project} has no branch ${ref === undefined ? '(no default branch)' : `named or with id ${ref}`}`,
        {
          hint: `check neon.branch in pgward.yaml; branches: ${all
            .map((b) => b.name)
            .slice(0, 10)
            .join(', ')}`,
        },
      );
    return hit;
  }

  /** Polls every operation to a terminal status; a failed one is an error naming its action and error. */
  async waitForOperations(project: string, ops: NeonOperation[], signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.opTimeoutMs;
    for (const first of ops) {
      let op = first;
      while (!NEON_DONE.has(op.status)) {
        if (NEON_FAILED.has(op.status))
          throw new PgwardError(
            `Neon operation ${op.action} (${op.id}) ${op.status}${op.error ? `: ${op.error}` : ''}`,
            { hint: 'see the project’s operations in the Neon console, then run again' },
          );
        if (Date.now() > deadline)
          throw new PgwardError(
            `Neon operation ${op.action} (${op.id}) still ${op.status} after ${Math.round(this.opTimeoutMs / 1000)} s`,
          );
        await neonSleep(this.pollMs, signal);
        op = (
          await this.http.request<{ operation: NeonOperation }>(
            'GET',
            `${this.p(project)}/operations/${enc(op.id)}`,
            undefined,
            signal,
          )
        ).operation;
      }
    }
  }

  /** Creates a branch with a read-write endpoint and waits for its operations. */
  async createBranch(project: string, o: CreateBranchOptions = {}): Promise<NeonBranchCreated> {
    if (o.parentTimestamp && o.parentLsn)
      throw new PgwardError('a Neon branch is made at a timestamp or at an LSN, not both');
    const branch: Record<string, unknown> = {};
    if (o.parentId) branch.parent_id = o.parentId;
    if (o.name) branch.name = o.name;
    if (o.parentTimestamp) branch.parent_timestamp = o.parentTimestamp.toISOString();
    if (o.parentLsn) branch.parent_lsn = o.parentLsn;
    const created = await this.http.request<NeonBranchCreated>(
      'POST',
      `${this.p(project)}/branches`,
      { branch, endpoints: [{ type: 'read_write' }] },
      o.signal,
    );
    for (const u of created.connection_uris ?? []) registerSecret(u.connection_parameters?.password);
    o.onCreated?.(created);
    await this.waitForOperations(project, created.operations ?? [], o.signal);
    return created;
  }

  async branchEndpoints(project: string, branchId: string, signal?: AbortSignal): Promise<NeonEndpoint[]> {
    const r = await this.http.request<{ endpoints: NeonEndpoint[] }>(
      'GET',
      `${this.p(project)}/branches/${enc(branchId)}/endpoints`,
      undefined,
      signal,
    );
    return r.endpoints ?? [];
  }

  /**
   * The direct (pooled=false) URI of a branch's read-write endpoint. The host is checked: it must be the
   * endpoint's own host, never a `-pooler` one. The password is registered as a secret.
   */
  async connectionUri(
    project: string,
    q: { branchId: string; database: string; role: string },
    signal?: AbortSignal,
  ): Promise<string> {
    const qs = `branch_id=${enc(q.branchId)}&database_name=${enc(q.database)}&role_name=${enc(q.role)}&pooled=false`;
    const r = await this.http.request<{ uri: string }>(
      'GET',
      `${this.p(project)}/connection_uri?${qs}`,
      undefined,
      signal,
    );
    let u: URL;
    try {
      u = new URL(r.uri);
    } catch {
      throw new PgwardError(`Neon API returned an unreadable connection URI for branch ${q.branchId}`);
    }
    if (u.password) registerSecret(decodeURIComponent(u.password));
    const rw = (await this.branchEndpoints(project, q.branchId, signal)).find((e) => e.type === 'read_write');
    const host = u.hostname;
    if (/-pooler(\.|$)/.test(host) || (rw && rw.host.split(':')[0] !== host))
      throw new PgwardError(
        `Neon API gave host ${host} for branch ${q.branchId}, not its read-write endpoint's direct host${rw ? ` ${rw.host}` : ''}`,
        { hint: 'pgward needs a direct (not pooled) connection for session-level locks and settings' },
      );
    return r.uri;
  }

  /** Deletes a branch and waits for its operations; a branch already gone (204/404) counts as deleted. */
  async deleteBranch(project: string, branchId: string, signal?: AbortSignal): Promise<'deleted' | 'gone'> {
    try {
      const r = await this.http.request<{ operations?: NeonOperation[] } | undefined>(
        'DELETE',
        `${this.p(project)}/branches/${enc(branchId)}`,
        undefined,
        signal,
      );
      if (!r) return 'gone';
      await this.waitForOperations(project, r.operations ?? [], signal);
      return 'deleted';
    } catch (err) {
      if (err instanceof PgwardError && / 404 /.test(err.message)) return 'gone';
      throw err;
    }
  }

  /**
   * Restores `branchId` to `sourceBranchId`'s state at `at` (its own history when they are equal, which
   * needs `preserveUnderName`: the pre-restore state is kept as a branch of that name).
   */
  async restoreBranch(
    project: string,
    branchId: string,
    o: { sourceBranchId?: string; at?: Date; lsn?: string; preserveUnderName?: string; signal?: AbortSignal },
  ): Promise<NeonBranch> {
    const source = o.sourceBranchId ?? branchId;
    if (source === branchId && (!o.preserveUnderName || (!o.at && !o.lsn)))
      throw new PgwardError(
        `restoring Neon branch ${branchId} to its own history needs a time (or LSN) and a name to preserve its current state under`,
      );
    const body: Record<string, unknown> = { source_branch_id: source };
    if (o.at) body.source_timestamp = o.at.toISOString();
    if (o.lsn) body.source_lsn = o.lsn;
    if (o.preserveUnderName) body.preserve_under_name = o.preserveUnderName;
    const r = await this.http.request<{ branch: NeonBranch; operations: NeonOperation[] }>(
      'POST',
      `${this.p(project)}/branches/${enc(branchId)}/restore`,
      body,
      o.signal,
    );
    await this.waitForOperations(project, r.operations ?? [], o.signal);
    return r.branch;
  }
}
