// How a database recovered to a point in time (Render PITR, a Neon branch at a time) is validated:
// against the newest drill-proven backup of the environment taken at or before that time.
// - every table of that backup must exist in the recovered database with at least as many rows;
// - more rows (writes between the backup and the time) and new tables are reported, not failures;
// - a missing table or fewer rows fails validation (exit 10) naming the table: rows deleted after the
//   backup also cause it, which only the operator can judge.
import { readCatalog } from '../backup/catalog.js';
import type { BackupManifest } from '../backup/manifest.js';
import { drillPassed } from '../backup/retention.js';
import { collectTableStats, listTables } from '../backup/snapshot.js';
import type { Storage } from '../backup/storage.js';
import { withClient } from '../db/connect.js';
import { PgwardError } from '../errors.js';

export interface TableGrowth {
  table: string;
  backupRows: number;
  recoveredRows: number;
}

export interface RecoveryValidation {
  ok: boolean;
  /** The backup compared against. */
  backup: { id: string; startedAt: string };
  tablesChecked: number;
  grown: TableGrowth[];
  newTables: string[];
  /** The first failure (missing table or fewer rows), in words. */
  firstDifference: string | null;
}

/** The newest drill-proven backup of the environment (archive present) taken at or before `at`. */
export async function baselineFor(
  storage: Storage,
  env: string | undefined,
  at: Date,
): Promise<BackupManifest> {
  const { backups, missingArchives } = await readCatalog(storage);
  const missing = new Set(missingArchives);
  const mine = backups.filter((m) => m.env === (env ?? null));
  const proven = mine.filter(
    (m) => drillPassed(m) && !missing.has(m.id) && Date.parse(m.startedAt) <= at.getTime(),
  );
  const best = proven[0];
  if (!best)
    throw new PgwardError(
      `no backup of ${env ?? 'this database'} taken before ${at.toISOString()} has passed a restore drill: nothing to validate the recovery against`,
      {
        hint: 'take and prove one (pgward backup create, pgward backup verify), or pass --no-validate to recover unvalidated',
      },
    );
  return best;
}

/** Compares a recovered database with a backup's counts (growth allowed, see the header). */
export async function validateAgainst(url: string, m: BackupManifest): Promise<RecoveryValidation> {
  const actual = await withClient(url, async (c) => collectTableStats(c, await listTables(c), false));
  const got = new Map(actual.map((t) => [`${t.schema}.${t.name}`, t.rows]));
  const grown: TableGrowth[] = [];
  let firstDifference: string | null = null;
  for (const e of m.tables) {
    const table = `${e.schema}.${e.name}`;
    const rows = got.get(table);
    if (rows === undefined) firstDifference ??= `table ${table} is missing from the recovered instance`;
    else if (rows < e.rows)
      firstDifference ??= `table ${table}: ${rows} rows recovered, ${e.rows} in backup ${m.id} (fewer: lost, or deleted after the backup)`;
    else if (rows > e.rows) grown.push({ table, backupRows: e.rows, recoveredRows: rows });
  }
  const known = new Set(m.tables.map((t) => `${t.schema}.${t.name}`));
  return {
    ok: firstDifference === null,
    backup: { id: m.id, startedAt: m.startedAt },
    tablesChecked: m.tables.length,
    grown,
    newTables: [...got.keys()].filter((t) => !known.has(t)),
    firstDifference,
  };
}
