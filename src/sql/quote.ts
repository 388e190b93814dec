// Identifier quoting, kept apart from the driver: code that only builds SQL text (the framework readers
// behind `pgward lint`) must not load pg to quote a name (~50 ms of an offline lint's start-up).

/** Quotes an identifier the way PostgreSQL's quote_ident does. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a possibly schema-qualified name given as separate parts. */
export function qualified(schema: string | undefined, name: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
}
