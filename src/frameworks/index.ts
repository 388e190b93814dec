// The read-only adapters by name, and autodetection of which framework a migrations dir belongs to:
// the files narrow the candidates, the database (which tracking table exists) breaks ties.
import type pg from 'pg';
import type { FrameworkName } from '../config/schema.js';
import { alembic } from './alembic.js';
import { tableExists, tableRef } from './common.js';
import { dbmate } from './dbmate.js';
import { django } from './django.js';
import { flyway } from './flyway.js';
import { golangMigrate } from './golang-migrate.js';
import { knex } from './knex.js';
import { nodePgMigrate } from './node-pg-migrate.js';
import { prisma } from './prisma.js';
import { rails } from './rails.js';
import type { FrameworkAdapter } from './types.js';

export type { ForeignStatus, FrameworkAdapter } from './types.js';

export const ADAPTERS: Record<Exclude<FrameworkName, 'pgward'>, FrameworkAdapter> = {
  dbmate,
  rails,
  alembic,
  prisma,
  flyway,
  'golang-migrate': golangMigrate,
  'node-pg-migrate': nodePgMigrate,
  knex,
  django,
};

/**
 * Picks the framework for `dir`. pgward and dbmate share one file format, so a dir of `<digits>_<name>.sql`
 * files is pgward's once pgward has run (its own table exists) and dbmate's only when dbmate's
 * schema_migrations is there; otherwise the tracking tables in the database settle it, and when they
 * cannot, the candidates are returned for the user to choose with `migrations.framework`.
 */
export async function detectFramework(
  dir: string,
  client: pg.Client,
): Promise<FrameworkName | { ambiguous: FrameworkName[] }> {
  const candidates = Object.values(ADAPTERS).filter((a) => a.detectFiles(dir));
  if (candidates.length === 0) return 'pgward';
  const pgwardFormat = candidates.includes(dbmate);
  if (pgwardFormat && (await tableExists(client, tableRef('pgward.migrations', 'migrations'))))
    return 'pgward';
  const inDatabase: FrameworkAdapter[] = [];
  for (const a of candidates) if (await a.detectDatabase(client)) inDatabase.push(a);
  if (inDatabase.length === 1) return inDatabase[0]!.name;
  if (inDatabase.length > 1) return { ambiguous: inDatabase.map((a) => a.name) };
  // No tracking table yet: pgward's own format wins (a fresh project), else an unambiguous file match.
  if (pgwardFormat) return 'pgward';
  if (candidates.length === 1) return candidates[0]!.name;
  return { ambiguous: candidates.map((a) => a.name) };
}
