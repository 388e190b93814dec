// Batches staged in PostgreSQL while the source is still being read. Each run of `batchSize` spilled
// records is COPYed into a temporary table of one of the writing connections, and its content hash taken
// there, as soon as it is complete: PostgreSQL parses the JSON (the costliest part of a write) on one
// core while Node reads and validates on the other. Nothing reaches the target table in this phase —
// temporary tables belong to the session and vanish with it, so a killed or refused import leaves nothing
// behind — and PostgreSQL's own JSON parser has then seen every record before the first batch is written.
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PgwardError } from '../errors.js';
import { type SpillBatch, type SpillTap, uncopyField } from './spill.js';
import { type SqlHashRow, sqlHashQuery } from './sql-hash.js';

export interface StagedBatch {
  /** The temporary table holding the batch, on `writer`. */
  table: string;
  writer: number;
  lines: number;
  /** Records staged up to and including this batch. */
  upTo: number;
  /** sha256 (hex, 32 digits) of the spill's lines up to `upTo`, for the resume check. */
  digest: string;
  /** The content hash of the batch's rows as PostgreSQL parsed them. */
  staged: SqlHashRow;
}

/** Batches whose staging is in flight on one connection before the reader waits. */
const MAX_IN_FLIGHT = 2;

export class Stager implements SpillTap {
  readonly batches: StagedBatch[] = [];
  private sent = 0;
  private readonly inFlight: Array<Array<Promise<void>>>;
  private failure: { error: unknown } | undefined;

  constructor(private readonly writers: pg.Client[]) {
    this.inFlight = writers.map(() => []);
  }

  /** A spilled batch, staged on the next connection in turn. */
  add(spilled: SpillBatch): void {
    const index = this.sent++;
    const writer = index % this.writers.length;
    const { data, ...rest } = spilled;
    const table = `pgward_import_stage_${index}`;
    const done = stageBatch(this.writers[writer]!, table, data).then(
      (staged) => {
        this.batches[index] = { ...rest, table, writer, staged };
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    const queue = this.inFlight[writer]!;
    queue.push(done);
    void done.then(() => queue.splice(queue.indexOf(done), 1));
  }

  /** Waits while a connection has more batches in flight than it may (the reader's backpressure). */
  async settle(): Promise<void> {
    for (const queue of this.inFlight) while (queue.length > MAX_IN_FLIGHT) await queue[0];
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every batch (after the spill's last flush); throws the first staging failure. */
  async finish(): Promise<StagedBatch[]> {
    await Promise.all(this.inFlight.flat());
    if (this.failure) throw this.failure.error;
    return this.batches;
  }
}

/** COPY into a fresh temporary table, then the content hash of its rows. */
async function stageBatch(client: pg.Client, table: string, data: Buffer): Promise<SqlHashRow> {
  await client.query(`CREATE TEMP TABLE ${table} (k text, d jsonb)`);
  await new Promise<void>((resolve, reject) => {
    const stream = client.query(copyFrom(`COPY ${table} (k, d) FROM STDIN`));
    stream.on('error', (err) => reject(refused(err, data)));
    stream.on('finish', resolve);
    stream.end(data);
  });
  return (await client.query<SqlHashRow>(sqlHashQuery(table, 'k', 'd'))).rows[0]!;
}

/**
 * PostgreSQL refusing a staged record (JSON that JavaScript accepts and PostgreSQL does not, such as a
 * \u0000 escape), named by its key: the COPY error's context gives the line.
 */
function refused(err: Error & { where?: string }, data: Buffer): Error {
  const line = Number(/COPY [^,]+, line (\d+)/.exec(err.where ?? '')?.[1] ?? 0);
  if (!line) return err;
  let at = 0;
  for (let i = 1; i < line && at >= 0; i++) at = data.indexOf('\n', at) + 1 || -1;
  const key = at >= 0 ? data.toString('utf8', at, data.indexOf('\t', at)) : '';
  return new PgwardError(`PostgreSQL refuses the record ${uncopyField(key)}: ${err.message}`, {
    hint: 'nothing was written; fix the record in the source (or leave it out of the pattern) and run again',
  });
}
