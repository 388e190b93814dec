// How a refused statement is answered: not by the guard inventing a reply, but by sending the server a
// statement that raises the refusal. The server's own error then aborts the transaction the framework
// opened, so the framework rolls back, and the server and the framework agree on the session's state.

/** Quotes text as a SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
function literal(text: string): string {
  return `'${text.replace(/\0/g, '').replace(/'/g, "''")}'`;
}

/** A DO block raising SQLSTATE 42501 with the refusal and the command that approves it. */
export function blockedSubstitute(message: string, hint: string): string {
  const tag = '$pgward_guard$';
  const clean = (s: string) => s.split(tag).join('');
  return `DO ${tag}BEGIN RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = ${literal(clean(message))}, HINT = ${literal(clean(hint))}; END${tag}`;
}

/**
 * For the extended protocol. A statement without parameters is replaced by the same DO block (it fails
 * at Execute with the refusal). One with parameters ($1…) cannot be: Bind would fail first with a
 * confusing count mismatch. It gets a query that fails while being parsed, its error text carrying the
 * refusal (PostgreSQL reports the rejected literal as invalid input for type integer).
 */
export function refusedParseSubstitute(originalSql: string, message: string, hint: string): string {
  if (!/\$\d/.test(originalSql)) return blockedSubstitute(message, hint);
  return `SELECT ${literal(`${message} — ${hint}`)}::int`;
}
