// A local simulator of Neon's API v2 (https://console.neon.tech/api/v2), the documented exception to "no
// mocks": Neon cannot be reached from tests. Which behaviour comes from which source, and what is a guess
// or a limit, is in docs/neon.md ("Simulator sources"). Branches are REAL databases on a local cluster:
// a new branch is `CREATE DATABASE … TEMPLATE <parent's database>` (other sessions on the parent are
// terminated first: PostgreSQL refuses a template with sessions), its endpoint is 127.0.0.1:<cluster port>,
// and its connection URI opens that real database.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Cluster } from './cluster.js';
import { adminQuery } from './db.js';

export interface NeonSimOptions {
  cluster: Cluster;
  /** The API key the simulator accepts (default a random napi_… key, see `sim.apiKey`). */
  apiKey?: string;
  /** Polls of GET …/operations/{id} before an operation turns finished (default 2). */
  pollsToFinish?: number;
  projectId?: string;
}

export interface SimBranch {
  id: string;
  name: string;
  parentId?: string;
  parentTimestamp?: string;
  default: boolean;
  /** The real database on the cluster. */
  database: string;
  endpointId: string;
  createdAt: string;
  deleted: boolean;
  state: 'init' | 'ready';
}

export interface SimOperation {
  id: string;
  branchId: string;
  endpointId?: string;
  action: string;
  status: 'scheduling' | 'running' | 'finished' | 'failed' | 'cancelled';
  pollsLeft: number;
  fail: boolean;
  createdAt: string;
}

export interface NeonRequestLog {
  method: string;
  path: string;
  status: number;
  authorization: string | undefined;
  body?: unknown;
}

export interface NeonSim {
  /** Base URL ending in /api/v2: the `api_url` of pgward.yaml. */
  readonly url: string;
  readonly apiKey: string;
  readonly projectId: string;
  /** Adds a branch backed by the real database `database` (the first one added is the default branch). */
  addBranch(opts: { database: string; name?: string; id?: string; default?: boolean }): SimBranch;
  branch(idOrName: string): SimBranch | undefined;
  /** Live (not deleted) branches. */
  branches(): SimBranch[];
  operations(): SimOperation[];
  readonly requests: NeonRequestLog[];
  readonly faults: {
    /** The next `n` requests (of `method` only, when given) get this status with Neon's error body. */
    status(
      n: number,
      code: 423 | 429 | 503 | 500,
      opts?: { method?: string; retryAfterSeconds?: number },
    ): void;
    /** The next operation created ends `failed` instead of `finished`. */
    failNextOperation(): void;
    /** connection_uri answers with a `-pooler` host even for pooled=false. */
    poolerUri(on: boolean): void;
  };
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const words = ['aged', 'cool', 'shiny', 'steep', 'quiet', 'bold'];
const nouns = ['salad', 'king', 'wind', 'bush', 'river', 'leaf'];
const neonId = (prefix: string) =>
  `${prefix}-${words[randomBytes(1)[0]! % words.length]}-${nouns[randomBytes(1)[0]! % nouns.length]}-${100000 + (randomBytes(3).readUIntBE(0, 3) % 900000)}`;
const nowIso = () => new Date().toISOString();
const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

export async function startNeonSim(opts: NeonSimOptions): Promise<NeonSim> {
  const apiKey = opts.apiKey ?? `napi_${randomBytes(24).toString('hex')}`;
  const projectId = opts.projectId ?? 'shiny-wind-028834';
  const pollsToFinish = opts.pollsToFinish ?? 2;
  const c = opts.cluster;
  const branches = new Map<string, SimBranch>();
  const ops = new Map<string, SimOperation>();
  const requests: NeonRequestLog[] = [];
  const sockets = new Set<Socket>();
  const createdDbs = new Set<string>();
  let forced: { n: number; code: number; method?: string | undefined; retryAfter?: number | undefined } = {
    n: 0,
    code: 503,
  };
  let failNext = false;
  let pooler = false;
  const host = `127.0.0.1:${c.port}`;

  const live = () => [...branches.values()].filter((b) => !b.deleted);
  const find = (ref: string) => live().find((b) => b.id === ref || b.name === ref);
  const branchOr404 = (id: string) => {
    const b = branches.get(id);
    if (!b || b.deleted) throw new HttpError(404, 'branch not found');
    return b;
  };
  const busy = (b: SimBranch) =>
    [...ops.values()].some(
      (o) => o.branchId === b.id && (o.status === 'running' || o.status === 'scheduling'),
    );
  const lockCheck = (b: SimBranch) => {
    if (busy(b)) throw new HttpError(423, `branch ${b.id} is locked by another operation in progress`);
  };

  function newOp(b: SimBranch, action: string, withEndpoint = false): SimOperation {
    const op: SimOperation = {
      id: randomUUID(),
      branchId: b.id,
      ...(withEndpoint ? { endpointId: b.endpointId } : {}),
      action,
      status: 'running',
      pollsLeft: pollsToFinish,
      fail: failNext,
      createdAt: nowIso(),
    };
    failNext = false;
    ops.set(op.id, op);
    return op;
  }

  function opJson(o: SimOperation) {
    return {
      id: o.id,
      project_id: projectId,
      branch_id: o.branchId,
      ...(o.endpointId ? { endpoint_id: o.endpointId } : {}),
      action: o.action,
      status: o.status,
      ...(o.status === 'failed' ? { error: `simulated failure of ${o.action}` } : {}),
      failures_count: o.status === 'failed' ? 1 : 0,
      created_at: o.createdAt,
      updated_at: nowIso(),
      total_duration_ms: 0,
    };
  }

  function pollOp(o: SimOperation) {
    if (o.status !== 'running' && o.status !== 'scheduling') return;
    o.pollsLeft--;
    if (o.pollsLeft > 0) return;
    o.status = o.fail ? 'failed' : 'finished';
    // A failed operation cancels the others still pending on its branch (guess: Neon's exact cascade is unverified).
    if (o.fail)
      for (const x of ops.values())
        if (x.branchId === o.branchId && (x.status === 'running' || x.status === 'scheduling'))
          x.status = 'cancelled';
    const b = branches.get(o.branchId);
    if (b && !busy(b)) b.state = 'ready';
  }

  function branchJson(b: SimBranch) {
    return {
      id: b.id,
      project_id: projectId,
      ...(b.parentId ? { parent_id: b.parentId, parent_lsn: '0/1F5D6C8' } : {}),
      ...(b.parentTimestamp ? { parent_timestamp: b.parentTimestamp } : {}),
      name: b.name,
      current_state: b.state,
      ...(b.state === 'init' ? { pending_state: 'ready' } : {}),
      state_changed_at: b.createdAt,
      logical_size: 0,
      creation_source: 'console',
      primary: b.default,
      default: b.default,
      protected: false,
      init_source: 'parent-data',
      created_at: b.createdAt,
      updated_at: nowIso(),
    };
  }

  function endpointJson(b: SimBranch) {
    return {
      host,
      id: b.endpointId,
      project_id: projectId,
      branch_id: b.id,
      type: 'read_write',
      current_state: b.state === 'ready' ? 'active' : 'init',
      pooler_enabled: false,
      pooler_mode: 'transaction',
      disabled: false,
      created_at: b.createdAt,
      updated_at: nowIso(),
      proxy_host: '127.0.0.1',
    };
  }

  function uriOf(b: SimBranch, pooled: boolean): string {
    const u = new URL(c.url(b.database));
    if (pooled || pooler) {
      u.hostname = `${b.endpointId}-pooler.sim.invalid`;
      u.port = '';
    }
    u.searchParams.set('sslmode', 'disable');
    return u.toString();
  }

  /** CREATE DATABASE … TEMPLATE needs the template to have no other sessions: end them, retry a few times. */
  async function copyDatabase(from: string, to: string) {
    for (let attempt = 0; ; attempt++) {
      await adminQuery(
        c.url('postgres'),
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [from],
      );
      try {
        await adminQuery(c.url('postgres'), `CREATE DATABASE ${q(to)} TEMPLATE ${q(from)}`);
        createdDbs.add(to);
        return;
      } catch (err) {
        if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function dropDatabase(name: string) {
    await adminQuery(c.url('postgres'), `DROP DATABASE IF EXISTS ${q(name)} WITH (FORCE)`);
    createdDbs.delete(name);
  }

  function addBranch(o: { database: string; name?: string; id?: string; default?: boolean }): SimBranch {
    const b: SimBranch = {
      id: o.id ?? neonId('br'),
      name: o.name ?? (live().length === 0 ? 'main' : neonId('branch')),
      default: o.default ?? live().length === 0,
      database: o.database,
      endpointId: neonId('ep'),
      createdAt: nowIso(),
      deleted: false,
      state: 'ready',
    };
    branches.set(b.id, b);
    return b;
  }

  function parseTime(v: unknown, what: string): string | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
      throw new HttpError(400, `${what} must be a date-time`);
    if (Date.parse(v) > Date.now() + 1000) throw new HttpError(400, `${what} is in the future`);
    return new Date(Date.parse(v)).toISOString();
  }

  async function createBranch(body: Record<string, unknown>) {
    const spec = (body.branch ?? {}) as Record<string, unknown>;
    const endpoints = (body.endpoints ?? []) as { type?: string }[];
    if (spec.parent_timestamp !== undefined && spec.parent_lsn !== undefined)
      throw new HttpError(400, 'specify at most one of parent_lsn and parent_timestamp');
    const parent =
      typeof spec.parent_id === 'string' ? branchOr404(spec.parent_id) : live().find((b) => b.default);
    if (!parent) throw new HttpError(400, 'the project has no default branch');
    lockCheck(parent);
    const name = typeof spec.name === 'string' ? spec.name : neonId('br');
    if (find(name)) throw new HttpError(409, `branch ${name} already exists`);
    // Simulator limit: a branch at a timestamp or LSN is a copy of the parent as it is NOW.
    const parentTimestamp = parseTime(spec.parent_timestamp, 'parent_timestamp');
    const database = `${parent.database.slice(0, 30)}_br_${randomBytes(4).toString('hex')}`;
    await copyDatabase(parent.database, database);
    const b = addBranch({ database, name, default: false });
    b.parentId = parent.id;
    if (parentTimestamp) b.parentTimestamp = parentTimestamp;
    b.state = 'init';
    const opList = [newOp(b, 'create_timeline')];
    if (endpoints.some((e) => e.type === 'read_write')) opList.push(newOp(b, 'start_compute', true));
    const u = new URL(uriOf(b, false));
    return {
      status: 201,
      body: {
        branch: branchJson(b),
        endpoints: endpoints.length ? [endpointJson(b)] : [],
        operations: opList.map(opJson),
        roles: [{ branch_id: b.id, name: decodeURIComponent(u.username), protected: false }],
        databases: [{ id: 1, branch_id: b.id, name: b.database, owner_name: decodeURIComponent(u.username) }],
        connection_uris: [
          {
            connection_uri: uriOf(b, false),
            connection_parameters: {
              database: b.database,
              password: decodeURIComponent(u.password),
              role: decodeURIComponent(u.username),
              host: u.hostname,
              pooler_host: `${b.endpointId}-pooler.sim.invalid`,
            },
          },
        ],
      },
    };
  }

  async function deleteBranch(id: string) {
    const b = branches.get(id);
    if (!b || b.deleted) return { status: 204 };
    if (b.default) throw new HttpError(400, 'cannot delete the default branch');
    if (live().some((x) => x.parentId === b.id))
      throw new HttpError(400, 'cannot delete a branch that has children');
    lockCheck(b);
    await dropDatabase(b.database);
    b.deleted = true;
    const o = newOp(b, 'delete_timeline');
    return { status: 200, body: { branch: branchJson(b), operations: [opJson(o)] } };
  }

  async function restoreBranch(id: string, body: Record<string, unknown>) {
    const b = branchOr404(id);
    const sourceId = body.source_branch_id;
    if (typeof sourceId !== 'string') throw new HttpError(400, 'source_branch_id is required');
    const source = branchOr404(sourceId);
    const at = parseTime(body.source_timestamp, 'source_timestamp');
    const preserve = typeof body.preserve_under_name === 'string' ? body.preserve_under_name : undefined;
    if (source.id === b.id && (!preserve || (!at && body.source_lsn === undefined)))
      throw new HttpError(
        400,
        'restoring a branch to its own history requires source_timestamp or source_lsn and preserve_under_name',
      );
    lockCheck(b);
    const fresh = `${source.database.slice(0, 30)}_rs_${randomBytes(4).toString('hex')}`;
    // Simulator limit: the state "at" a time is the source as it is NOW.
    await copyDatabase(source.database, fresh);
    if (preserve) {
      const kept = addBranch({ database: b.database, name: preserve, default: false });
      kept.parentId = b.id;
    } else await dropDatabase(b.database);
    b.database = fresh;
    b.state = 'init';
    const o = newOp(b, 'restore_branch' /* guess: the action name of a restore */);
    return { status: 200, body: { branch: branchJson(b), operations: [opJson(o)] } };
  }

  async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const ch of req) chunks.push(ch as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return {};
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new HttpError(400, 'invalid JSON body');
    }
  }

  type Result = { status: number; body?: unknown };
  async function route(method: string, url: URL, body: Record<string, unknown>): Promise<Result> {
    const p = url.pathname.replace(/^\/api\/v2/, '');
    const m = p.match(/^\/projects\/([^/]+)(\/.*)?$/);
    if (!m) throw new HttpError(404, 'not found');
    if (m[1] !== projectId) throw new HttpError(404, `project ${m[1]} not found`);
    const rest = m[2] ?? '';
    if (method === 'GET' && rest === '')
      return {
        status: 200,
        body: { project: { id: projectId, name: 'sim', region_id: 'aws-us-east-2', pg_version: 15 } },
      };
    if (rest === '/branches' && method === 'GET')
      return { status: 200, body: { branches: live().map(branchJson), annotations: {}, pagination: {} } };
    if (rest === '/branches' && method === 'POST') return createBranch(body);
    const mb = rest.match(/^\/branches\/([^/]+)(\/endpoints|\/restore)?$/);
    if (mb) {
      const id = mb[1] as string;
      if (method === 'GET' && !mb[2])
        return { status: 200, body: { branch: branchJson(branchOr404(id)), annotation: {} } };
      if (method === 'GET' && mb[2] === '/endpoints')
        return { status: 200, body: { endpoints: [endpointJson(branchOr404(id))] } };
      if (method === 'DELETE' && !mb[2]) return deleteBranch(id);
      if (method === 'POST' && mb[2] === '/restore') return restoreBranch(id, body);
    }
    const mo = rest.match(/^\/operations\/([^/]+)$/);
    if (mo && method === 'GET') {
      const o = ops.get(mo[1] as string);
      if (!o) throw new HttpError(404, 'operation not found');
      pollOp(o);
      return { status: 200, body: { operation: opJson(o) } };
    }
    if (rest === '/connection_uri' && method === 'GET') {
      const dbName = url.searchParams.get('database_name');
      const role = url.searchParams.get('role_name');
      if (!dbName || !role) throw new HttpError(400, 'database_name and role_name are required');
      const bid = url.searchParams.get('branch_id');
      const b = bid ? branchOr404(bid) : live().find((x) => x.default);
      if (!b) throw new HttpError(404, 'branch not found');
      return { status: 200, body: { uri: uriOf(b, url.searchParams.get('pooled') === 'true') } };
    }
    throw new HttpError(404, 'not found');
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>) {
    const rid = randomUUID();
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Request-Id': rid, ...headers });
    if (status === 204 || body === undefined) return res.end();
    res.end(JSON.stringify(status >= 400 ? { request_id: rid, ...(body as object) } : body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sim');
    const entry: NeonRequestLog = {
      method,
      path: url.pathname + url.search,
      status: 0,
      authorization: req.headers.authorization,
    };
    requests.push(entry);
    try {
      const body = method === 'GET' ? {} : await readBody(req);
      entry.body = body;
      if (req.headers.authorization !== `Bearer ${apiKey}`)
        throw new HttpError(401, 'authentication required');
      if (forced.n > 0 && (!forced.method || forced.method === method)) {
        forced.n--;
        const headers: Record<string, string> = {};
        if (forced.code === 429 && forced.retryAfter !== undefined)
          headers['Retry-After'] = String(forced.retryAfter);
        throw new HttpError(
          forced.code,
          forced.code === 423 ? 'resource is locked' : 'simulated fault',
          headers,
        );
      }
      const r = await route(method, url, body);
      entry.status = r.status;
      send(res, r.status, r.body, {});
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, (err as Error).message);
      entry.status = e.status;
      send(res, e.status, { code: '', message: e.message }, e.headers);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}/api/v2`,
    apiKey,
    projectId,
    addBranch,
    branch: (ref) => find(ref) ?? branches.get(ref),
    branches: live,
    operations: () => [...ops.values()],
    requests,
    faults: {
      status(n, code, o = {}) {
        forced = { n, code, method: o.method, retryAfter: o.retryAfterSeconds };
      },
      failNextOperation() {
        failNext = true;
      },
      poolerUri(on) {
        pooler = on;
      },
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      for (const d of createdDbs) await dropDatabase(d).catch(() => undefined);
    },
  };
}
