// The gate decision `pgward migrate` would take for each pending pgward migration (apply / warn /
// blocked, and why), shown next to it on the dashboard. Linting reads schema facts from the database,
// so it runs in the refresh loop, and only when the pending files, their checksums or the recorded
// approvals changed since the last evaluation: otherwise the previous decisions are reused.
import type pg from 'pg';
import type { MigrationsSource, Target } from '../../config/target.js';
import type { MigrationsInfo } from '../../doctor/types.js';
import { loadMigrations } from '../../files/migration-files.js';
import { locateMigrations } from '../../frameworks/locate.js';
import { evaluateGates, readApprovals } from '../../migrate/gate.js';
import { redact } from '../../redact.js';

export interface PendingGate {
  decision: string;
  approvable: boolean;
  reasons: { rule: string; severity: string; line: number; message: string }[];
}

export class GateCache {
  private key = '';
  private gates: Record<string, PendingGate> = {};
  private error: string | undefined;

  /** Decisions for the pending versions (pgward's own migration files only). */
  async read(
    c: pg.Client,
    target: Target,
    source: MigrationsSource | undefined,
    migrations: MigrationsInfo | null,
    approvalsKey: string,
  ): Promise<{ gates: Record<string, PendingGate>; error?: string }> {
    const pending = migrations?.framework === 'pgward' ? migrations.pending.map((p) => p.version) : [];
    if (!source || pending.length === 0) return { gates: {} };
    try {
      const located = locateMigrations(source);
      const wanted = new Set(pending);
      const files = loadMigrations(located.dir).files.filter((f) => wanted.has(f.version));
      const key = `${files.map((f) => `${f.version}:${f.checksum}`).join(',')}|${approvalsKey}`;
      if (key !== this.key) {
        const approvals = await readApprovals(c, 'up').catch(() => new Map());
        const { gates } = await evaluateGates(c, files, target.policy, approvals);
        this.gates = Object.fromEntries(
          gates.map((g) => [
            g.version,
            {
              decision: g.decision,
              approvable: g.approvable,
              reasons: g.reasons.map((r) => ({
                rule: r.rule,
                severity: r.severity,
                line: r.line,
                message: r.message,
              })),
            },
          ]),
        );
        this.error = undefined;
        this.key = key;
      }
    } catch (err) {
      this.error = `cannot evaluate the gates of pending migrations: ${redact((err as Error).message)}`;
      this.key = '';
      this.gates = {};
    }
    return { gates: this.gates, ...(this.error ? { error: this.error } : {}) };
  }
}
