// Follows a framework's run on the wire: which pending migration runs now (approvals are per migration
// file) and which migration each statement belonged to (for the audit), from the framework's own
// bookkeeping statements. Unknown is a valid answer: then every migration the run could be in counts.
import type { StatementRecord } from '../guard/types.js';
import { recordedNames, type TrackingSpec } from './tracking.js';

export interface TrackedMigration {
  version: string;
  name: string;
  file?: string | undefined;
  approved: boolean;
}

export class MigrationTracker {
  /** Index of the migrations recorded so far (in run order). */
  private readonly recorded: number[] = [];
  /** Statements not yet attributed (frameworks that record after their statements). */
  private unattributed: StatementRecord[] = [];
  private readonly versions = new Map<number, string>();

  constructor(
    private readonly pending: readonly TrackedMigration[],
    private readonly spec: TrackingSpec | undefined,
  ) {}

  /** The migration the next statement belongs to, or undefined when the wire has not told. */
  current(): TrackedMigration | undefined {
    if (!this.spec) return this.pending.length === 1 ? this.pending[0] : undefined;
    if (this.spec.before) {
      const last = this.recorded.at(-1);
      return last === undefined ? undefined : this.pending[last];
    }
    return this.pending.find((_, i) => !this.recorded.includes(i));
  }

  /** Approved when what runs now is approved; when unknown, only if every pending migration is. */
  approved(): boolean {
    const now = this.current();
    return now ? now.approved : this.pending.length > 0 && this.pending.every((m) => m.approved);
  }

  observe(rec: StatementRecord): void {
    const spec = this.spec;
    const tracking = spec && rec.outcome === 'ok' && spec.matches.test(rec.sql);
    const index = tracking ? this.indexOf(spec.version(rec.sql, rec.params)) : -1;
    if (index >= 0 && !this.recorded.includes(index)) this.recorded.push(index);
    if (!spec) return;
    if (spec.before) {
      const last = this.recorded.at(-1);
      if (last !== undefined) this.versions.set(rec.seq, this.pending[last]!.version);
      return;
    }
    this.unattributed.push(rec);
    if (index >= 0) {
      for (const r of this.unattributed)
        if (r.session === rec.session) this.versions.set(r.seq, this.pending[index]!.version);
      this.unattributed = this.unattributed.filter((r) => r.session !== rec.session);
    }
  }

  versionOf(seq: number): string | undefined {
    return this.versions.get(seq);
  }

  /** Versions the framework recorded in this run, in order. */
  recordedVersions(): string[] {
    return this.recorded.map((i) => this.pending[i]!.version);
  }

  private indexOf(v: string | undefined): number {
    if (v === undefined) return -1;
    const key = /^\d+$/.test(v) ? BigInt(v).toString() : v;
    return this.pending.findIndex((m) => recordedNames(m).some((n) => n === v || n === key));
  }
}
