// Wording of identifications for people, kept free of driver imports so the CLI can load it eagerly.

export type MatchedBy = 'named' | 'stamp' | 'probe';

export const HOW: Record<MatchedBy, string> = {
  named: 'named on the command line',
  stamp: 'pgward.identity stamp',
  probe: 'a probe of its configured URL',
};

export interface IdentitySummary {
  systemId: string | null;
  databaseOid: string;
  database: string;
  matches: { env: string; by: MatchedBy[]; protected: boolean }[];
  unverified: { env: string; reason: string }[];
}

/**
 * `production's database (matched by pgward.identity stamp; system …, database oid …)`, or undefined
 * when the database was only what the command line named (nothing to add to the message then).
 */
export function describeSummary(s: IdentitySummary): string | undefined {
  const m = s.matches.find((x) => x.protected) ?? s.matches[0];
  if (!m || s.matches.every((x) => x.by.length === 1 && x.by[0] === 'named')) return undefined;
  const who = s.systemId ? `system ${s.systemId}` : 'system identifier not readable';
  return `${m.env}'s database (matched by ${m.by.map((b) => HOW[b]).join(', ')}; ${who}, database oid ${s.databaseOid})`;
}
