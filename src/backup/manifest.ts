// The manifest is the catalog: one JSON object per backup, written last, so a backup without one does
// not exist as far as pgward is concerned. Everything needed to judge or restore the archive is in it.
import { randomBytes } from 'node:crypto';
import { PgwardError, UsageError } from '../errors.js';

export const MANIFEST_FORMAT = 'pgward-backup/1';
export const BACKUP_REASONS = ['manual', 'scheduled', 'pre-migrate', 'pre-deploy'] as const;
export type BackupReason = (typeof BACKUP_REASONS)[number];

export interface TableStat {
  schema: string;
  name: string;
  /** Exact row count in the dump's snapshot. */
  rows: number;
  /** Order-independent content hash (see snapshot.ts), present when the backup was taken with --hash. */
  hash?: string;
}

export interface Verification {
  at: string;
  durationMs: number;
  ok: boolean;
  /** Where the drill restored: a scratch database pgward created and dropped, or a URL given with --into. */
  into: string;
  checks: { sha256: boolean | null; list: boolean | null; drill: boolean | null };
  /** The first difference or failure, in words: names the table when a table differs. */
  firstDifference: string | null;
  tablesChecked: number;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  env: string | null;
  database: string;
  server: { version: string; versionNum: number };
  pgDump: { version: string; major: number };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  archive: { key: string; bytes: number; sha256: string; format: 'custom'; compression: string };
  reason: BackupReason;
  labels: string[];
  pinned: boolean;
  schemaFingerprint: string;
  latestMigration: { table: string; version: string } | null;
  hashAlgorithm: string | null;
  tables: TableStat[];
  /** The most recent verify result; older ones are kept (newest first, capped) in verifications. */
  verification: Verification | null;
  verifications: Verification[];
  pgwardVersion: string;
}

/** Sortable, unique, and readable: 20260102T030405123Z-a1b2c3. Ordering still comes from manifest times. */
export function newBackupId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * The only names pgward trusts: ids come from storage listings and manifests written by anyone with
 * access to the bucket, so every key is derived from an id that matches this, never read from a manifest.
 */
export const ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;
/** What a user may type for an id: a prefix of one (at least 1 character); no `/`, `.` or anything else. */
const ID_PREFIX_PATTERN = /^\d{1,8}(T(\d{1,9}(Z(-[0-9a-f]{0,6})?)?)?)?$/;

export const isBackupId = (s: string): boolean => ID_PATTERN.test(s);
export const manifestKey = (id: string) => `${assertId(id)}.manifest.json`;
export const archiveKey = (id: string) => `${assertId(id)}.dump`;

function assertId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new PgwardError(`invalid backup id "${safeShow(id)}"`);
  return id;
}

/** A string from outside, shown in one line without control characters. */
export function safeShow(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}

/** `latest`, a full id, or a prefix of one; anything else (a path, `..`) is a usage error. */
export function checkBackupRef(ref: string): void {
  if (ref === 'latest' || ID_PREFIX_PATTERN.test(ref)) return;
  throw new UsageError(
    `invalid backup id "${safeShow(ref)}": expected latest or an id like 20260102T030405123Z-a1b2c3 (or its prefix)`,
    'see `pgward backup list`',
  );
}

/** The id a manifest key names, or null when the key is not `<id>.manifest.json`. */
export function idOfManifestKey(key: string): string | null {
  const m = /^(.+)\.manifest\.json$/.exec(key);
  return m && ID_PATTERN.test(m[1]!) ? m[1]! : null;
}

/**
 * Parses the manifest stored under `<id>.manifest.json`. Malformed, or naming another id or another
 * archive key than the one derived from the id: reported with its key, never followed or skipped.
 */
export function parseManifest(text: string, id: string): BackupManifest {
  const key = manifestKey(id);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PgwardError(`backup manifest ${key} is not valid JSON`, {
      hint: 'it was edited or damaged; restore it from a copy or delete the backup',
    });
  }
  const m = value as Partial<BackupManifest>;
  if (m?.format !== MANIFEST_FORMAT || typeof m.id !== 'string' || !m.archive || !Array.isArray(m.tables)) {
    throw new PgwardError(`backup manifest ${key} is not a ${MANIFEST_FORMAT} manifest`);
  }
  if (m.id !== id) {
    throw new PgwardError(`backup manifest ${key} names another backup id ("${safeShow(m.id)}")`);
  }
  if (m.archive.key !== archiveKey(id)) {
    throw new PgwardError(
      `backup manifest ${key} names archive "${safeShow(String(m.archive.key))}", not ${archiveKey(id)}: not followed`,
    );
  }
  m.verifications ??= [];
  m.verification ??= null;
  m.labels ??= [];
  return m as BackupManifest;
}

export function addVerification(m: BackupManifest, v: Verification): BackupManifest {
  return { ...m, verification: v, verifications: [v, ...m.verifications].slice(0, 20) };
}
