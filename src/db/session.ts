// A server session that dies with its client: shared by pgward's own migration session and every
// session the guard opens for a framework (a kill -9 of pgward must not leave their statements running).
import type pg from 'pg';

/**
 * Makes the migration session die with its client. Without this, a `kill -9` of pgward leaves the
 * server running the current statement to its end (statement_timeout at worst), still holding the
 * migration lock and the statement's row and table locks. PostgreSQL 14+ polls the socket every
 * interval while a query runs and aborts it once the client is gone; on 13 and older only
 * statement_timeout / migration_timeout bound it.
 */
export async function bindSessionToClient(client: pg.Client): Promise<void> {
  // CASE, not WHERE: set_config must not even be evaluated on servers that lack the setting. Servers
  // built for platforms without POLLRDHUP reject any non-zero value: the run goes on without it there
  // (the query runs alone, outside any transaction, so its failure affects nothing else).
  await client
    .query(
      `SELECT CASE WHEN current_setting('server_version_num')::int >= 140000
                   THEN set_config('client_connection_check_interval', '1000', false) END`,
    )
    .catch(() => {});
}
