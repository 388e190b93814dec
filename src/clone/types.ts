// The shapes of a clone: its options, the events it reports while it runs, and its result.

import type { MaskingPlan } from './config.js';
import type { TableFilter } from './filter.js';
import type { Endpoint } from './refuse.js';
import type { CloneMark } from './state.js';
import type { TableCheck, VerifyMode } from './validate.js';

export type CloneStep = 'schema' | 'data' | 'indexes' | 'post-data' | 'sequences' | 'validate';

export type CloneEvent =
  | { type: 'step'; step: CloneStep }
  | { type: 'plan'; tables: number; bytes: number; masked: number }
  | { type: 'table-start'; table: string; estBytes: number }
  | { type: 'bytes'; table: string; bytes: number }
  | { type: 'table-done'; table: string; rows: number; bytes: number; ms: number }
  | { type: 'index-done'; index: string; ms: number }
  | { type: 'notice'; detail: string };

export interface CloneOptions {
  source: Endpoint;
  target: Endpoint;
  clean?: boolean;
  schemaOnly?: boolean;
  filter?: Partial<TableFilter>;
  jobs?: number;
  /**
   * Tables larger than this many bytes are copied in page ranges by several jobs at once, within the
   * one snapshot (default 128 MiB; 0: every table is copied by one job). Needs PostgreSQL 14+ on the source.
   */
  splitTablesLargerThan?: number;
  masking?: MaskingPlan;
  /** count (default) or hash; hash reads every table once more on both sides. */
  verify?: VerifyMode;
  /** Compare source and target without copying anything. */
  compareOnly?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: CloneEvent) => void;
}

export interface CloneTableResult {
  table: string;
  rows: number;
  bytes: number;
  ms: number;
  masked: string[];
  dataCopied: boolean;
  /** A large table copied in page ranges by several jobs: how many (absent: copied whole). */
  parts?: number;
}

export interface CloneResult {
  ok: boolean;
  source: string;
  target: string;
  durationMs: number;
  steps: Partial<Record<CloneStep, number>>;
  tables: CloneTableResult[];
  indexes: number;
  sequences: number;
  checks: TableCheck[];
  differences: TableCheck[];
  /** --compare-only: the target's own mark of an unfinished clone (a finished clone has none). */
  targetIncomplete?: CloneMark | null;
}
