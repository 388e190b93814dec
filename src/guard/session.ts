// One framework connection through the guard: authenticate the framework with the run's one-time
// password, open its own upstream session (real credentials, TLS, the policy's timeouts), hand the
// framework the upstream's real session parameters and backend key, then relay every message — each
// statement checked before it is forwarded — and watch the answers to time and record each statement.
import { timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { BackendObserver, rowsOfTag } from './backend-observer.js';
import { blockedSubstitute, refusedParseSubstitute } from './refusal.js';
import type { Inspector, StatementContext, StatementRecord, Verdict } from './types.js';
import {
  authCleartext,
  authOk,
  BodyReader,
  backendKeyData,
  CANCEL_REQUEST,
  errorFields,
  errorResponse,
  GSSENC_REQUEST,
  type Message,
  MessageReader,
  PROTOCOL_3_0,
  parameterStatus,
  parseStartupParams,
  queryMessage,
  readyForQuery,
  replaceParseQuery,
  SSL_REQUEST,
} from './wire.js';

export interface Upstream {
  socket: Duplex;
  pid: number;
  key: number;
  params: Map<string, string>;
}

export interface SessionHost {
  password: string;
  inspector: Inspector;
  connectUpstream(startup: Map<string, string>): Promise<Upstream>;
  record(rec: Omit<StatementRecord, 'seq'>): void;
  cancel(pid: number, key: number): void;
  opened(s: GuardSession): void;
  closed(s: GuardSession): void;
}

interface Pending {
  sql: string;
  group: number;
  sentAt: number;
  inTransaction: boolean;
  warnings: string[];
  params?: (string | null)[] | undefined;
  refusal?: { code: string; message: string } | undefined;
}

type Phase = 'startup' | 'password' | 'ready' | 'closed';

export class GuardSession {
  upstream: Upstream | undefined;
  private readonly reader = new MessageReader();
  private phase: Phase = 'startup';
  private startup = new Map<string, string>();
  private work: Promise<void> = Promise.resolve();
  private txStatus = 'I';
  /** Ids of message groups (a simple Query, or an extended batch up to its Sync), in sending order. */
  private groupIds = 0;
  /** The extended-protocol batch being sent (its Sync closes it). */
  private batch = ++this.groupIds;
  /** Groups sent and not yet answered by ReadyForQuery, oldest first (several when pipelined). */
  private readonly awaitingReady: number[] = [];
  private pending: Pending[] = [];
  private lastDoneAt = 0;
  private readonly statements = new Map<string, string>();
  private readonly portals = new Map<string, { sql: string; params: (string | null)[] }>();

  constructor(
    readonly id: number,
    private readonly client: Duplex,
    private readonly host: SessionHost,
  ) {
    client.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      this.work = this.work.then(() => this.drain()).catch((err) => this.fail(err));
    });
    client.on('close', () => this.close());
    client.on('error', () => this.close());
  }

  get inTransaction(): boolean {
    return this.txStatus !== 'I';
  }

  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.client.destroy();
    // Closing the upstream socket mid-transaction makes the server roll it back.
    this.upstream?.socket.destroy();
    this.host.closed(this);
  }

  private fail(err: unknown): void {
    if (process.env.PGWARD_GUARD_DEBUG) console.error('guard session failed:', err);
    if (this.phase !== 'closed' && this.phase !== 'ready')
      this.client.write(errorResponse('FATAL', '08006', `pgward guard: ${(err as Error).message}`));
    this.close();
  }

  private async drain(): Promise<void> {
    // What one read of the client's socket carries leaves in one write upstream (an extended-protocol
    // statement is five messages: writing each on its own cost more than the rest of the relay).
    const up = this.upstream?.socket;
    up?.cork();
    try {
      while (this.phase !== 'closed') {
        if (this.phase === 'startup') {
          const body = this.reader.nextStartup();
          if (!body) return;
          this.onStartupPacket(body);
          continue;
        }
        const msg = this.reader.next();
        if (!msg) return;
        if (this.phase === 'password') await this.onPassword(msg);
        else {
          // Only a statement the inspector must judge is awaited; the rest is relayed synchronously.
          const judging = this.onMessage(msg);
          if (judging) await judging;
        }
      }
    } finally {
      up?.uncork();
    }
  }

  private onStartupPacket(body: Buffer): void {
    const code = body.readInt32BE(0);
    // TLS ends at the guard's upstream side: the framework talks plaintext on loopback.
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.client.write('N');
      return;
    }
    if (code === CANCEL_REQUEST) {
      this.host.cancel(body.readInt32BE(4), body.readInt32BE(8));
      this.close();
      return;
    }
    if (code !== PROTOCOL_3_0) throw new Error(`unsupported protocol version ${code >> 16}.${code & 0xffff}`);
    this.startup = parseStartupParams(body);
    this.phase = 'password';
    this.client.write(authCleartext());
  }

  private async onPassword(msg: Message): Promise<void> {
    const given = Buffer.from(new BodyReader(msg.body).cstring());
    const want = Buffer.from(this.host.password);
    if (msg.type !== 'p' || given.length !== want.length || !timingSafeEqual(given, want)) {
      this.client.write(errorResponse('FATAL', '28P01', 'pgward guard: password authentication failed'));
      return this.close();
    }
    this.upstream = await this.host.connectUpstream(this.startup);
    const up = this.upstream;
    const observer = new BackendObserver((e) => this.onBackend(e));
    up.socket.on('data', (chunk: Buffer) => {
      this.client.write(chunk);
      observer.push(chunk);
    });
    up.socket.on('close', () => this.close());
    up.socket.on('error', () => this.close());
    const hello = [authOk()];
    for (const [k, v] of up.params) hello.push(parameterStatus(k, v));
    hello.push(backendKeyData(up.pid, up.key), readyForQuery('I'));
    this.client.write(Buffer.concat(hello));
    this.phase = 'ready';
    this.host.opened(this);
  }

  private onMessage(msg: Message): Promise<void> | undefined {
    switch (msg.type) {
      case 'Q':
        return this.onQuery(msg);
      case 'P':
        return this.onParse(msg);
      case 'B':
        this.onBind(msg);
        break;
      case 'E':
        this.onExecute(msg);
        break;
      case 'S':
        this.awaitingReady.push(this.batch);
        this.batch = ++this.groupIds;
        break;
      case 'X':
        this.upstream!.socket.write(msg.raw);
        this.close();
        return undefined;
    }
    this.upstream!.socket.write(msg.raw);
    return undefined;
  }

  /** The inspector's fast path when it has one (no promise), else its full judgement. */
  private verdictOf(sql: string, ctx: StatementContext): Verdict | Promise<Verdict> {
    const inspector = this.host.inspector;
    if (inspector.forwardsAsIs?.(sql, ctx)) return { action: 'forward', statements: [sql], warnings: [] };
    return inspector.inspect(sql, ctx);
  }

  private onQuery(msg: Message): Promise<void> | undefined {
    const sql = new BodyReader(msg.body).cstring();
    const inTransaction = this.inTransaction;
    const verdict = this.verdictOf(sql, {
      session: this.id,
      inTransaction,
      protocol: 'simple',
      backendPid: this.upstream!.pid,
    });
    if (verdict instanceof Promise) return verdict.then((v) => this.sendQuery(msg, sql, inTransaction, v));
    this.sendQuery(msg, sql, inTransaction, verdict);
    return undefined;
  }

  private sendQuery(msg: Message, sql: string, inTransaction: boolean, verdict: Verdict): void {
    const group = ++this.groupIds;
    this.awaitingReady.push(group);
    const sentAt = Date.now();
    if (verdict.action === 'reject') {
      const refusal = { code: '42501', message: verdict.message };
      this.pending.push({ sql, group, sentAt, inTransaction, warnings: [], refusal });
      // The server itself raises the refusal, so its transaction state and the framework's stay equal.
      this.upstream!.socket.write(queryMessage(blockedSubstitute(verdict.message, verdict.hint)));
      return;
    }
    for (const s of verdict.statements)
      this.pending.push({ sql: s, group, sentAt, inTransaction, warnings: verdict.warnings });
    this.upstream!.socket.write(msg.raw);
  }

  private onParse(msg: Message): Promise<void> | undefined {
    const r = new BodyReader(msg.body);
    const name = r.cstring();
    const sql = r.cstring();
    this.statements.set(name, sql);
    const verdict = this.verdictOf(sql, {
      session: this.id,
      inTransaction: this.inTransaction,
      protocol: 'extended',
      backendPid: this.upstream!.pid,
    });
    if (verdict instanceof Promise) return verdict.then((v) => this.sendParse(msg, sql, v));
    this.sendParse(msg, sql, verdict);
    return undefined;
  }

  private sendParse(msg: Message, sql: string, verdict: Verdict): void {
    if (verdict.action === 'forward') return void this.upstream!.socket.write(msg.raw);
    this.pending.push({
      sql,
      group: this.batch,
      sentAt: Date.now(),
      inTransaction: this.inTransaction,
      warnings: [],
      refusal: { code: '42501', message: verdict.message },
    });
    // A statement that fails at Parse: the server then discards the batch up to Sync, as for any error.
    this.upstream!.socket.write(
      replaceParseQuery(msg.body, refusedParseSubstitute(sql, verdict.message, verdict.hint)),
    );
  }

  private onBind(msg: Message): void {
    const r = new BodyReader(msg.body);
    const portal = r.cstring();
    const stmt = r.cstring();
    const formats = Array.from({ length: r.int16() }, () => r.int16());
    const params = Array.from({ length: r.int16() }, (_, i) => {
      const len = r.int32();
      if (len < 0) return null;
      const bytes = r.bytes(len);
      const format = formats.length === 1 ? formats[0] : (formats[i] ?? 0);
      return format === 0 ? bytes.toString('utf8') : null;
    });
    this.portals.set(portal, { sql: this.statements.get(stmt) ?? '', params });
  }

  private onExecute(msg: Message): void {
    const portal = this.portals.get(new BodyReader(msg.body).cstring());
    if (!portal) return;
    this.pending.push({
      sql: portal.sql,
      group: this.batch,
      sentAt: Date.now(),
      inTransaction: this.inTransaction,
      warnings: [],
      params: portal.params,
    });
  }

  private onBackend(e: import('./backend-observer.js').BackendEvent): void {
    if (e.type === 'ready') {
      this.txStatus = e.status;
      // Only the group this ReadyForQuery ends: a pipelining client has later ones in flight.
      const done = this.awaitingReady.shift();
      this.pending = done === undefined ? [] : this.pending.filter((p) => p.group !== done);
      return;
    }
    const p = this.pending.shift();
    if (!p) return;
    const now = Date.now();
    const startedAt = Math.max(p.sentAt, this.lastDoneAt);
    this.lastDoneAt = now;
    const base = {
      session: this.id,
      sql: p.sql,
      startedAt: new Date(startedAt),
      durationMs: now - startedAt,
      warnings: p.warnings,
      inTransaction: p.inTransaction,
      ...(p.params ? { params: p.params } : {}),
    };
    if (e.type === 'error') {
      const f = errorFields(e.body);
      const error = p.refusal ?? { code: f.get('C') ?? '', message: f.get('M') ?? '' };
      this.host.record({ ...base, rows: null, tag: null, outcome: p.refusal ? 'rejected' : 'error', error });
      // What followed in the same message or batch never ran.
      this.pending = this.pending.filter((q) => q.group !== p.group);
      return;
    }
    const tag = e.type === 'complete' ? e.tag : null;
    this.host.record({ ...base, rows: tag ? rowsOfTag(tag) : null, tag, outcome: 'ok' });
  }
}
