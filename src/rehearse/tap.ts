// A stopgap for a hook the migration engine does not have yet: code that runs on the runner's own
// connection right before and after each migration statement (see docs/rehearse.md, "Engine hook").
// It wraps pg.Client.prototype.query for the duration of one rehearsal, and only acts on the one
// connection it is told to watch (the runner's, recognised by application name and database); every
// other query, on every other client, goes straight through untouched.
import pg from 'pg';

export interface TapHandler {
  /** Whether this client is the runner's connection to the scratch database. */
  owns(client: pg.Client): boolean;
  /**
   * Called instead of the query; must call `run()` exactly once. `exec` runs extra SQL on the same
   * connection (inside the runner's transaction when one is open).
   */
  around(
    sql: string,
    run: () => Promise<unknown>,
    exec: (sql: string) => Promise<pg.QueryResult>,
    pid: number,
  ): Promise<unknown>;
}

type QueryFn = (...args: unknown[]) => unknown;

let installed: { original: QueryFn; handler: TapHandler } | undefined;

export function installTap(handler: TapHandler): () => void {
  if (installed) throw new Error('a rehearsal tap is already installed');
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  installed = { original, handler };
  proto.query = function (this: pg.Client, ...args: unknown[]) {
    const h = installed?.handler;
    // Callback-style calls and config objects are never the runner's statements.
    if (!h || typeof args[0] !== 'string' || args.some((a) => typeof a === 'function') || !h.owns(this))
      return original.apply(this, args);
    const exec = (sql: string) => original.call(this, sql) as Promise<pg.QueryResult>;
    return h.around(
      args[0],
      () => original.apply(this, args) as Promise<unknown>,
      exec,
      (this as unknown as { processID: number }).processID,
    );
  };
  return () => {
    proto.query = original;
    installed = undefined;
  };
}
