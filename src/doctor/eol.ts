// End of life of PostgreSQL major versions (postgresql.org/support/versioning: five years after the
// .0 release, on the November minor release day). Update when a new major ships.
export const EOL: Record<number, string> = {
  12: '2024-11-21',
  13: '2025-11-13',
  14: '2026-11-12',
  15: '2027-11-11',
  16: '2028-11-09',
  17: '2029-11-08',
  18: '2030-11-14',
};

export function majorOf(versionNum: number): number {
  return Math.floor(versionNum / 10_000);
}

/** The EOL date of a major version, or null when this pgward does not know it (newer than the table). */
export function eolOf(versionNum: number): string | null {
  const major = majorOf(versionNum);
  if (EOL[major]) return EOL[major]!;
  return major < 12 ? '2000-01-01' : null;
}
