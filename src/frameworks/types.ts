// Read-only adapters for projects whose migrations are run by another framework: pgward reads that
// framework's files and tracking table and reports what is pending, without ever writing to it.
import type pg from 'pg';
import type { FrameworkName } from '../config/schema.js';
import type { MigrationStatusEntry } from '../files/migration-status.js';

export interface ForeignStatus {
  /** The tracking table that was read, schema-qualified when not in the search_path default. */
  trackingTable: string;
  /** Every migration known from the files or the table, in the framework's order. */
  entries: MigrationStatusEntry[];
  /** .sql or code files in the dir that were skipped because they do not match the framework's pattern. */
  ignoredFiles: string[];
}

export interface FrameworkAdapter {
  name: Exclude<FrameworkName, 'pgward'>;
  /** True when the files in `dir` look like this framework's (used by autodetection). */
  detectFiles(dir: string): boolean;
  /** True when the database holds this framework's tracking table (used to break ties, e.g. schema_migrations). */
  detectDatabase(client: pg.Client, table?: string): Promise<boolean>;
  /** Reads files and tracking table; a missing tracking table means nothing is applied. */
  status(client: pg.Client, dir: string, table?: string): Promise<ForeignStatus>;
}
