// A small reader for JavaScript/TypeScript migration files (Knex, node-pg-migrate): tokens (strings,
// template literals without substitutions, identifiers, punctuation; comments dropped), the body of the
// exported `up` function, and calls with literal arguments such as `pgm.dropColumn('t', 'c')`.

export interface JsTok {
  kind: 'id' | 'str' | 'num' | 'punct' | 'tpl';
  v: string;
  line: number;
}

export function jsTokens(src: string): JsTok[] {
  const out: JsTok[] = [];
  let i = 0;
  let line = 1;
  const count = (from: number, to: number) => {
    for (let j = from; j < to; j++) if (src.charCodeAt(j) === 10) line++;
  };
  while (i < src.length) {
    const c = src[i]!;
    const start = i;
    const at = line;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (src.startsWith('//', i)) i = src.indexOf('\n', i) === -1 ? src.length : src.indexOf('\n', i);
    else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      i = end === -1 ? src.length : end + 2;
      count(start, i);
    } else if (c === '"' || c === "'" || c === '`') {
      let v = '';
      let subst = false;
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') {
          const n = src[i + 1] ?? '';
          v += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          i += 2;
          continue;
        }
        if (c === '`' && src.startsWith('${', i)) subst = true;
        v += src[i];
        i++;
      }
      i++;
      count(start, i);
      out.push({ kind: c === '`' && subst ? 'tpl' : 'str', v, line: at });
    } else if (/[A-Za-z_$]/.test(c)) {
      while (i < src.length && /[\w$]/.test(src[i]!)) i++;
      out.push({ kind: 'id', v: src.slice(start, i), line: at });
    } else if (/\d/.test(c)) {
      while (i < src.length && /[\w.]/.test(src[i]!)) i++;
      out.push({ kind: 'num', v: src.slice(start, i), line: at });
    } else {
      const two = src.slice(i, i + 3) === '...' ? '...' : src.slice(i, i + 2);
      const v = ['=>', '...', '?.', '==', '!=', '&&', '||', '??'].includes(two) ? two : c;
      i += v.length;
      out.push({ kind: 'punct', v, line: at });
    }
  }
  return out;
}

const CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Index of the token closing the bracket at `open`. */
export function matching(t: JsTok[], open: number): number {
  const stack: string[] = [];
  for (let i = open; i < t.length; i++) {
    const v = t[i]!;
    if (v.kind !== 'punct') continue;
    if (CLOSE[v.v]) stack.push(CLOSE[v.v]!);
    else if (v.v === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i;
    }
  }
  return t.length - 1;
}

const isP = (t: JsTok | undefined, v: string) => t?.kind === 'punct' && t.v === v;

/** Token range [from, to) of the exported `up` function's body, and its first parameter's name. */
export function upFunction(t: JsTok[]): { from: number; to: number; param: string | undefined } | undefined {
  for (let i = 0; i < t.length; i++) {
    if (!(t[i]!.kind === 'id' && t[i]!.v === 'up')) continue;
    const prev = t[i - 1];
    const declared = prev?.kind === 'id' && prev.v === 'function';
    const assigned = isP(t[i + 1], '=') || isP(t[i + 1], ':');
    const method =
      isP(t[i + 1], '(') && (isP(prev, '{') || isP(prev, ',') || (prev?.kind === 'id' && prev.v === 'async'));
    if (!declared && !assigned && !method) continue;
    // Find the parameter list, then the body: `{ … }` or an arrow's expression.
    let j = i + 1;
    while (j < t.length && !isP(t[j], '(') && !(t[j]!.kind === 'id' && t[j + 1] && isP(t[j + 1], '=>'))) j++;
    let param: string | undefined;
    if (isP(t[j], '(')) {
      const close = matching(t, j);
      param = t[j + 1]?.kind === 'id' ? t[j + 1]!.v : undefined;
      j = close + 1;
    } else {
      param = t[j]?.v;
      j++;
    }
    if (isP(t[j], ':')) while (j < t.length && !isP(t[j], '=>') && !isP(t[j], '{')) j++; // TS return type
    if (isP(t[j], '=>')) j++;
    if (isP(t[j], '{')) return { from: j + 1, to: matching(t, j), param };
    let end = j;
    while (end < t.length && !isP(t[end], ';')) end = isP(t[end], '(') ? matching(t, end) + 1 : end + 1;
    return { from: j, to: end, param };
  }
  return undefined;
}

export type JsVal =
  | { k: 'str'; v: string }
  | { k: 'num'; v: string }
  | { k: 'bool'; v: boolean }
  | { k: 'null' }
  | { k: 'arr'; items: JsVal[] }
  | { k: 'obj'; o: Record<string, JsVal> }
  | { k: 'fn'; from: number; to: number; param: string | undefined }
  | { k: 'other' };

/** One argument starting at `i`; returns the value and the index after it. */
export function jsValue(t: JsTok[], i: number): [JsVal, number] {
  const x = t[i];
  if (x?.kind === 'str') return [{ k: 'str', v: x.v }, i + 1];
  if (x?.kind === 'num') return [{ k: 'num', v: x.v }, i + 1];
  if (x?.kind === 'id' && (x.v === 'true' || x.v === 'false') && endsArg(t[i + 1]))
    return [{ k: 'bool', v: x.v === 'true' }, i + 1];
  if (x?.kind === 'id' && x.v === 'null' && endsArg(t[i + 1])) return [{ k: 'null' }, i + 1];
  if (isP(x, '[')) return listValue(t, i);
  if (isP(x, '{')) return objectValue(t, i);
  const fn = functionValue(t, i);
  if (fn) return fn;
  let j = i;
  while (j < t.length && !endsArg(t[j]))
    j = isP(t[j], '(') || isP(t[j], '[') || isP(t[j], '{') ? matching(t, j) + 1 : j + 1;
  return [{ k: 'other' }, j];
}

const endsArg = (x: JsTok | undefined) =>
  x === undefined || isP(x, ',') || isP(x, ')') || isP(x, ']') || isP(x, '}');

function listValue(t: JsTok[], i: number): [JsVal, number] {
  const close = matching(t, i);
  const items: JsVal[] = [];
  let j = i + 1;
  while (j < close) {
    const [v, n] = jsValue(t, j);
    items.push(v);
    j = isP(t[n], ',') ? n + 1 : n;
    if (n === j && !isP(t[n - 1], ',')) break;
  }
  return [{ k: 'arr', items }, close + 1];
}

function objectValue(t: JsTok[], i: number): [JsVal, number] {
  const close = matching(t, i);
  const o: Record<string, JsVal> = {};
  let j = i + 1;
  while (j < close) {
    const key = t[j]!;
    if ((key.kind === 'id' || key.kind === 'str') && isP(t[j + 1], ':')) {
      const [v, n] = jsValue(t, j + 2);
      o[key.v] = v;
      j = n;
    } else j = jsValue(t, j)[1];
    if (isP(t[j], ',')) j++;
    else if (j < close) return [{ k: 'other' }, close + 1];
  }
  return [{ k: 'obj', o }, close + 1];
}

/** `(x) => { … }`, `x => …`, `function (x) { … }`, `async (x) => …`. */
function functionValue(t: JsTok[], i: number): [JsVal, number] | undefined {
  let j = i;
  if (t[j]?.kind === 'id' && t[j]!.v === 'async') j++;
  if (t[j]?.kind === 'id' && t[j]!.v === 'function') j++;
  if (t[j]?.kind === 'id' && t[j]!.v !== 'function' && isP(t[j + 1], '=>')) {
    const param = t[j]!.v;
    return bodyFrom(t, j + 2, param);
  }
  if (!isP(t[j], '(')) return undefined;
  const close = matching(t, j);
  const param = t[j + 1]?.kind === 'id' ? t[j + 1]!.v : undefined;
  let k = close + 1;
  if (isP(t[k], '=>')) k++;
  else if (!isP(t[k], '{') || j === i) return undefined;
  return bodyFrom(t, k, param);
}

function bodyFrom(t: JsTok[], k: number, param: string | undefined): [JsVal, number] {
  if (isP(t[k], '{')) {
    const end = matching(t, k);
    return [{ k: 'fn', from: k + 1, to: end, param }, end + 1];
  }
  let end = k;
  while (end < t.length && !endsArg(t[end])) end = isP(t[end], '(') ? matching(t, end) + 1 : end + 1;
  return [{ k: 'fn', from: k, to: end, param }, end];
}

export interface JsCall {
  /** Receiver path and method, e.g. ['knex', 'schema', 'alterTable']. */
  path: string[];
  args: JsVal[];
  line: number;
  /** Methods chained after the call: `.notNullable()`, `.alter()`, with their arguments. */
  chain: { name: string; args: JsVal[] }[];
  /** Token index after the whole call expression. */
  end: number;
}

/** The call whose callee path starts at `i` (`a.b.c(…)…`), or undefined. */
export function callAt(t: JsTok[], i: number): JsCall | undefined {
  const path: string[] = [];
  let j = i;
  while (t[j]?.kind === 'id') {
    path.push(t[j]!.v);
    if (isP(t[j + 1], '.') || isP(t[j + 1], '?.')) j += 2;
    else break;
  }
  if (path.length === 0 || !isP(t[j + 1], '(')) return undefined;
  const line = t[i]!.line;
  const [args, after] = argList(t, j + 1);
  const chain: JsCall['chain'] = [];
  let k = after;
  while (isP(t[k], '.') && t[k + 1]?.kind === 'id' && isP(t[k + 2], '(')) {
    const [a, n] = argList(t, k + 2);
    chain.push({ name: t[k + 1]!.v, args: a });
    k = n;
  }
  return { path, args, line, chain, end: k };
}

function argList(t: JsTok[], open: number): [JsVal[], number] {
  const close = matching(t, open);
  const args: JsVal[] = [];
  let j = open + 1;
  while (j < close) {
    const [v, n] = jsValue(t, j);
    args.push(v);
    j = isP(t[n], ',') ? n + 1 : Math.max(n, j + 1);
  }
  return [args, close + 1];
}

export const strOf = (v: JsVal | undefined): string | undefined => (v?.k === 'str' ? v.v : undefined);

export function strsOf(v: JsVal | undefined): string[] | undefined {
  if (v?.k === 'str') return [v.v];
  if (v?.k === 'arr' && v.items.every((x) => x.k === 'str'))
    return v.items.map((x) => (x as { v: string }).v);
  return undefined;
}
