// Target PostgreSQL version: "16", "14.2", "9.6", or a server_version_num such as 140002.
import { UsageError } from '../errors.js';

export interface PgVersion {
  major: number;
  /** server_version_num style (140002), when the minor version is known. */
  num: number | undefined;
}

/** Newest major the rules know about; assumed when nothing else is given (like squawk). */
export const LATEST_PG: PgVersion = { major: 18, num: undefined };

export function parsePgVersion(text: string): PgVersion {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--pg-version must look like 16 or 14.2, not "${text}"`);
  const a = Number(m[1]);
  if (a >= 10) return { major: a, num: m[2] !== undefined ? a * 10000 + Number(m[2]) : undefined };
  // 9.x: the major is "9.6"; rules only compare against 10+, so 9 is enough.
  return {
    major: a,
    num: m[2] !== undefined ? a * 10000 + Number(m[2]) * 100 + Number(m[3] ?? 0) : undefined,
  };
}

export function fromServerVersionNum(num: number): PgVersion {
  return { major: num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 10000), num };
}
