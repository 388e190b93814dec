// Per-test databases on the cluster started for the whole test run (scripts/run-tests.ts exports it in
// PGWARD_TEST_CLUSTER). A test file run on its own starts its own cluster instead.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Cluster, startCluster, TEST_PASSWORD, TEST_USER } from './cluster.js';

export interface SharedClusterInfo {
  dir: string;
  port: number;
  socketDir: string;
  binDir: string;
}

let shared: Promise<Cluster> | undefined;

/** The cluster for this test process: the run's shared one, or one of its own. */
export function sharedCluster(): Promise<Cluster> {
  if (!shared) {
    const info = process.env.PGWARD_TEST_CLUSTER;
    if (info) {
      const c = JSON.parse(info) as SharedClusterInfo;
      shared = Promise.resolve({
        ...c,
        url: (database = 'postgres') =>
          `postgresql://${TEST_USER}:${encodeURIComponent(TEST_PASSWORD)}@127.0.0.1:${c.port}/${encodeURIComponent(database)}`,
        stop: () => {
          // owned by the test runner
        },
      });
    } else {
      shared = startCluster();
    }
  }
  return shared;
}

export interface TestDatabase {
  name: string;
  url: string;
  cluster: Cluster;
  /** Runs SQL as the superuser in this database. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** Creates a fresh, uniquely named database for one test. */
export async function createTestDatabase(cluster?: Cluster): Promise<TestDatabase> {
  const c = cluster ?? (await sharedCluster());
  const name = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(c.url('postgres'), `CREATE DATABASE ${name}`);
  const url = c.url(name);
  return {
    name,
    url,
    cluster: c,
    query: async (sql, params) => (await adminQuery(url, sql, params)) as never,
  };
}

export async function adminQuery(url: string, sql: string, params?: unknown[]): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query(sql, params);
    return res.rows;
  } finally {
    await client.end();
  }
}

/** Sessions ever opened to the database (pg_stat_database.sessions, flushed as each session ends). */
export async function sessionsOpened(db: { name: string; cluster: { url(): string } }): Promise<number> {
  let last = -1;
  // A session's stats reach shared memory as it exits: poll until the count stops moving.
  for (let i = 0; i < 40; i++) {
    const [row] = await adminQuery(
      db.cluster.url(),
      'SELECT sessions FROM pg_stat_database WHERE datname = $1',
      [db.name],
    );
    const n = Number(row?.sessions);
    if (n === last) return n;
    last = n;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}
