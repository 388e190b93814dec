// DDL inside DO blocks runs at migration time, so it is analysed like top-level SQL (squawk #528 asks for
// this): PL/pgSQL statements, and EXECUTE of string literals. EXECUTE of a computed string is reported.
import { parser } from '../sql/parser.js';
import { splitStatements } from '../sql/split.js';
import { as, isObj, kindOf, list, type Obj, str } from './ast.js';
import type { Stmt } from './types.js';

interface Inner {
  sql: string;
  /** 1-based line inside the DO body. */
  lineno: number;
}

function collect(node: unknown, inner: Inner[], dynamic: string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, inner, dynamic);
    return;
  }
  if (!isObj(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'PLpgSQL_stmt_execsql' && isObj(v)) {
      const q = str(as(v.sqlstmt, 'PLpgSQL_expr')?.query);
      if (q) inner.push({ sql: q, lineno: typeof v.lineno === 'number' ? v.lineno : 1 });
    } else if (k === 'PLpgSQL_stmt_dynexecute' && isObj(v)) {
      const q = str(as(v.query, 'PLpgSQL_expr')?.query) ?? '';
      const lit = literal(q);
      if (lit !== undefined) inner.push({ sql: lit, lineno: typeof v.lineno === 'number' ? v.lineno : 1 });
      else dynamic.push(q.trim());
    } else {
      collect(v, inner, dynamic);
    }
  }
}

/** The value of a single SQL string literal ('...', E'...', $tag$...$tag$), or undefined. */
export function literal(expr: string): string | undefined {
  const t = expr.trim();
  const q = /^[eE]?'((?:[^']|'')*)'$/s.exec(t);
  if (q) return q[1]!.replace(/''/g, "'");
  const d = /^(\$[A-Za-z_]*\$)([\s\S]*)\1$/.exec(t);
  return d ? d[2] : undefined;
}

function doBody(s: Stmt): { body: string; language: string } | undefined {
  let body: string | undefined;
  let language = 'plpgsql';
  for (const a of list(s.body.args)) {
    const d = as(a, 'DefElem');
    if (d?.defname === 'as') body = str(as(d.arg, 'String')?.sval);
    if (d?.defname === 'language') language = (str(as(d.arg, 'String')?.sval) ?? '').toLowerCase();
  }
  return body === undefined ? undefined : { body, language };
}

/**
 * The statements a DO block runs, positioned in the file, and the EXECUTE expressions that cannot be
 * analysed. `top` is the DO statement itself (its line is the file line).
 */
export function expandDo(top: Stmt): { inner: Stmt[]; dynamic: string[] } {
  const d = doBody(top);
  if (d?.language !== 'plpgsql') return { inner: [], dynamic: [] };
  let tree: unknown;
  try {
    tree = parser().parsePlPgSQLSync(`DO $pgward_do$${d.body}$pgward_do$`);
  } catch {
    return { inner: [], dynamic: [] };
  }
  const found: Inner[] = [];
  const dynamic: string[] = [];
  collect(tree, found, dynamic);
  const bodyAt = top.sql.indexOf(d.body);
  const lineOffset = bodyAt < 0 ? 0 : top.sql.slice(0, bodyAt).split('\n').length - 1;
  const bodyLines = d.body.split('\n');
  const inner: Stmt[] = [];
  for (const f of found) {
    const split = splitStatements(f.sql);
    if (!split.ok) continue;
    for (const st of split.statements) {
      const lineText = bodyLines[f.lineno - 1] ?? '';
      const col = lineText.indexOf(st.sql.slice(0, 15));
      const kind = kindOf(st.node);
      inner.push({
        sql: st.sql,
        node: st.node,
        kind,
        body: (st.node as unknown as Record<string, Obj>)[kind] ?? {},
        line: top.line + lineOffset + f.lineno - 1 + (st.line - 1),
        column:
          col >= 0
            ? col + 1 + (f.lineno === 1 && lineOffset === 0 ? top.column - 1 + bodyAt : 0)
            : top.column,
        inDo: true,
      });
    }
  }
  return { inner, dynamic };
}
