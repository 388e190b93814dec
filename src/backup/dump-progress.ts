// The progress of a running backup: what pg_dump is copying and how far the counts are, as reported
// to the caller (the CLI draws it on a TTY).

export interface BackupProgress {
  phase: 'dump';
  bytes: number;
  elapsedMs: number;
  /** Table whose data pg_dump is copying (from its --verbose log). */
  table: string | null;
  tablesCounted: number;
  tablesTotal: number;
}

/** What the dump has done so far, reported to onProgress at most every 200 ms. */
export class DumpProgress {
  bytes = 0;
  table: string | null = null;
  counted = 0;
  /** Known once the tables are listed, which happens while pg_dump already runs. */
  tablesTotal = 0;
  private lastReport = 0;
  constructor(
    private readonly onProgress: ((p: BackupProgress) => void) | undefined,
    private readonly started: Date,
  ) {}
  report(force = false): void {
    const now = Date.now();
    if (!this.onProgress || (!force && now - this.lastReport < 200)) return;
    this.lastReport = now;
    this.onProgress({
      phase: 'dump',
      bytes: this.bytes,
      elapsedMs: now - this.started.getTime(),
      table: this.table,
      tablesCounted: this.counted,
      tablesTotal: this.tablesTotal,
    });
  }
}
