// The shapes `pgward import` passes between its source readers, validation, writer and proof.

/** One record read from a source: the row key it maps to and its JSON value, or why it cannot be read. */
export interface SourceRecord {
  /** The row key (the seed's `kind`): a file name, a Redis key, or a document field. */
  kind: string;
  /** The parsed JSON value (undefined when `error` is set). */
  data: unknown;
  /** Where it came from, for messages: `settings.json`, `rows.ndjson:12`, `redis key user:1`. */
  origin: string;
  /** Set when the record cannot be read at all: a JSON syntax error with line:column, non-UTF-8 bytes. */
  error?: string;
  /** The value's JSON text as the source held it, when it was JSON text (spares writing it again). */
  json?: string;
}

/** A run of records and the resume position after them (committed with the batch's checkpoint). */
export interface SourceBatch {
  records: SourceRecord[];
  position: string;
}

/** A place records are read from: JSON files or a Redis server. Read in a stable order, in batches. */
export interface ImportSource {
  /** One line naming the source (no secret: URLs redacted). */
  readonly description: string;
  /** Changes when the source's content may have changed (file sizes and times), so a resume starts over. */
  fingerprint(): Promise<string>;
  /** The records in batches of about `batchSize`; from a position a previous run committed, when given. */
  batches(batchSize: number, resumeFrom?: string): AsyncIterable<SourceBatch>;
  close(): Promise<void>;
}

/** The table records are written to: the seed's json_store layout unless configured. */
export interface ImportMapping {
  /** Possibly schema-qualified: `json_store`, `app.json_store`. */
  table: string;
  keyColumn: string;
  dataColumn: string;
  /** Set to now() when a row is inserted or its data changes; null for none. */
  updatedAtColumn: string | null;
  /** Extra columns filled from the document: column name → dotted path (`a.b`). */
  columns: Record<string, string>;
}

export const DEFAULT_MAPPING: ImportMapping = {
  table: 'json_store',
  keyColumn: 'kind',
  dataColumn: 'data',
  updatedAtColumn: 'updated_at',
  columns: {},
};

/** Something wrong with one record, found before anything is written. */
export interface ImportProblem {
  kind: string;
  origin: string;
  reason: string;
}

/** Per-kind (or total) proof: counts and an order-independent content hash of source and target. */
export interface ProofEntry {
  kind: string;
  sourceCount: number;
  targetCount: number;
  sourceHash: string;
  targetHash: string;
  match: boolean;
}

export interface ImportReport {
  source: string;
  target: string;
  dryRun: boolean;
  records: number;
  kinds: number;
  invalid: number;
  problems: ImportProblem[];
  /** Problems found beyond those listed (the list is capped). */
  moreProblems: number;
  rejectFile: string | null;
  written: { inserted: number; updated: number; unchanged: number; batches: number };
  /** Records a previous, interrupted run had already committed (this run started after them). */
  resumedAfter: number;
  proof: { total: ProofEntry; mismatches: ProofEntry[]; kinds: ProofEntry[]; match: boolean } | null;
  durationMs: number;
}
