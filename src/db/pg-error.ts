// Turns a PostgreSQL error into what a user needs: SQLSTATE code, message, detail, hint, position.
import pg from 'pg';

export interface PgErrorInfo {
  code: string | undefined;
  message: string;
  detail: string | undefined;
  hint: string | undefined;
  /** 1-based character position within the statement, when PostgreSQL reports one. */
  position: number | undefined;
  where: string | undefined;
}

export function isPgError(err: unknown): err is pg.DatabaseError {
  return err instanceof pg.DatabaseError;
}

export function pgErrorInfo(err: unknown): PgErrorInfo {
  if (isPgError(err)) {
    return {
      code: err.code,
      message: err.message,
      detail: err.detail,
      hint: err.hint,
      position: err.position ? Number(err.position) : undefined,
      where: err.where,
    };
  }
  const e = err as Error;
  return {
    code: undefined,
    message: e?.message ?? String(err),
    detail: undefined,
    hint: undefined,
    position: undefined,
    where: undefined,
  };
}

export const SQLSTATE = {
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  undefinedTable: '42P01',
  adminShutdown: '57P01',
} as const;

/**
 * The connection to the server was lost mid-command (network cut, proxy or server restart, the session
 * terminated): node-postgres says "Connection terminated unexpectedly", the socket says ECONNRESET/EPIPE,
 * the server 57P01/57P02/57P03 (admin shutdown, crash shutdown, cannot connect now).
 */
export function isConnectionLost(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (
    ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08006', '08003'].includes(e.code ?? '')
  )
    return true;
  return /Connection terminated|connection (?:lost|closed)|Client has encountered a connection error|not queryable/i.test(
    e.message ?? '',
  );
}
