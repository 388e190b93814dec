// Groups Ruby tokens into statements and blocks (`do |t| … end`, `{ |t| … }`, `def`/`class`/`if`… `end`),
// and reads a statement as a method call with literal arguments: `name arg, key: value do |x| … end`.
// Anything that is not such a call (assignments, operators, chained expressions) is left as `undefined`
// for the caller to report as unreadable.
import type { Tok } from './ruby-lex.js';

export interface Block {
  params: string[];
  body: Stmt[];
}

export interface Stmt {
  /** The statement's tokens, without its trailing block. */
  toks: Tok[];
  line: number;
  /** A `do … end` or `{ … }` block attached to the call, or the body of def/class/if… */
  block?: Block;
}

const OPENERS = new Set(['def', 'class', 'module', 'if', 'unless', 'while', 'until', 'case', 'begin', 'for']);
/** Tokens after which a newline does not end the statement. */
const CONTINUES = new Set([
  ',',
  '(',
  '[',
  '{',
  '=>',
  '.',
  '&.',
  '||',
  '&&',
  '+',
  '-',
  '*',
  '/',
  '=',
  '\\',
  '|',
]);

class TreeReader {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  /** Statements until `end` (consumed) or the end of input. */
  body(): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      const t = this.peek();
      if (t === undefined) return out;
      if (t.kind === 'nl' || (t.kind === 'punct' && t.v === ';')) {
        this.i++;
        continue;
      }
      if (t.kind === 'id' && t.v === 'end') {
        this.i++;
        return out;
      }
      out.push(this.statement());
    }
  }

  private statement(): Stmt {
    const first = this.peek()!;
    const toks: Tok[] = [];
    const open: string[] = [];
    // `end`s this statement still owes: 1 for def/class/if… at its start, +1 for each `x = if …`,
    // `case`, `begin` inside it, -1 for each `end` on the same line (`if a then b end`).
    let owed = first.kind === 'id' && OPENERS.has(first.v) ? 1 : 0;
    while (this.i < this.toks.length) {
      const t = this.toks[this.i]!;
      const depth = open.length;
      if (t.kind === 'nl' && depth > 0 && open[depth - 1] !== '{') {
        this.i++;
        continue;
      }
      if (depth === 0 && t.kind === 'nl') {
        const prev = toks[toks.length - 1];
        const next = this.toks[this.i + 1];
        const chained = next?.kind === 'punct' && (next.v === '.' || next.v === '&.');
        if (!(prev?.kind === 'punct' && CONTINUES.has(prev.v)) && !chained) break;
        this.i++;
        continue;
      }
      if (depth === 0 && t.kind === 'punct' && t.v === ';') break;
      if (depth === 0 && t.kind === 'id' && t.v === 'do') {
        this.i++;
        return { toks, line: first.line, block: this.blockAfterDo() };
      }
      if (t.kind === 'punct' && (t.v === '(' || t.v === '[' || t.v === '{')) open.push(t.v);
      if (t.kind === 'punct' && (t.v === ')' || t.v === ']' || t.v === '}')) open.pop();
      if (depth === 0 && toks.length > 0 && t.kind === 'id') {
        if (t.v === 'end') owed--;
        else if (opensInExpression(t, toks[toks.length - 1]!)) owed++;
      }
      toks.push(t);
      this.i++;
    }
    if (owed > 0) return { toks, line: first.line, block: { params: [], body: this.body() } };
    return { toks, line: first.line };
  }

  private blockAfterDo(): Block {
    const params = this.params();
    return { params, body: this.body() };
  }

  /** `|a, b|` right after `do` or `{`. */
  private params(): string[] {
    const t = this.peek();
    if (!(t?.kind === 'punct' && t.v === '|')) return [];
    this.i++;
    const names: string[] = [];
    while (this.i < this.toks.length) {
      const p = this.toks[this.i++]!;
      if (p.kind === 'punct' && p.v === '|') break;
      if (p.kind === 'id') names.push(p.v);
    }
    return names;
  }
}

/** Tokens after which `if`/`unless`/`while`/`until` start an expression (not a trailing modifier). */
const EXPRESSION_START = new Set(['=', '(', ',', '[', '||', '&&', '=>', '||=', '+=', '-=']);

/** `case` / `begin` inside a statement, or `x = if …`: a construct that needs its own `end`. */
function opensInExpression(t: Tok, prev: Tok): boolean {
  if (t.v === 'case' || t.v === 'begin') return true;
  if (!['if', 'unless', 'while', 'until'].includes(t.v)) return false;
  // `return if …` is a modifier; only after `=`, `(`, `,` … does `if` open an expression.
  return prev.kind === 'punct' && EXPRESSION_START.has(prev.v);
}

export function readTree(toks: Tok[]): Stmt[] {
  return new TreeReader(toks).body();
}

/** A literal argument value. */
export type Val =
  | { k: 'sym'; v: string }
  | { k: 'str'; v: string; interp: boolean }
  | { k: 'num'; v: string }
  | { k: 'bool'; v: boolean }
  | { k: 'nil' }
  | { k: 'arr'; items: Val[] }
  | { k: 'hash'; h: Record<string, Val> }
  | { k: 'const'; v: string }
  /** `-> { "now()" }`: an SQL expression. */
  | { k: 'expr'; v: string };

const STRING_HELPERS = new Set(['squish', 'strip', 'strip_heredoc', 'chomp', 'freeze']);

export interface Call {
  /** `t` in `t.string :x`, `dir` in `dir.up`. */
  recv?: string;
  name: string;
  args: Val[];
  opts: Record<string, Val>;
  /** A `{ |x| … }` block written inside the statement. */
  brace?: Block;
  /** `… if cond` / `… unless cond`: the call runs only when a condition holds. */
  modifier?: 'if' | 'unless';
  line: number;
}

class ArgReader {
  i = 0;
  constructor(private readonly t: Tok[]) {}

  peek(o = 0): Tok | undefined {
    return this.t[this.i + o];
  }

  isP(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t?.kind === 'punct' && t.v === v;
  }

  done(): boolean {
    return this.i >= this.t.length;
  }

  /** Arguments until `)` (when `paren`) or the end; false when something is not a literal. */
  args(call: Call, paren: boolean): boolean {
    while (!this.done() && !(paren && this.isP(')'))) {
      if (this.isP('{') && !paren) return this.brace(call);
      const t = this.peek()!;
      if (t.kind === 'label') {
        this.i++;
        const v = this.value();
        if (v === undefined) return false;
        call.opts[t.v] = v;
      } else {
        const v = this.value();
        if (v === undefined) return false;
        if (this.isP('=>')) {
          this.i++;
          const w = this.value();
          if (w === undefined || (v.k !== 'sym' && v.k !== 'str')) return false;
          call.opts[v.v] = w;
        } else call.args.push(v);
      }
      if (this.isP(',')) this.i++;
      else if (!this.done() && !(paren && this.isP(')')) && !this.isP('{')) return false;
    }
    if (paren) {
      if (!this.isP(')')) return false;
      this.i++;
      if (this.isP('{')) return this.brace(call);
    }
    return this.done();
  }

  /** A `{ |x| … }` block: its inner tokens become statements. */
  private brace(call: Call): boolean {
    const last = this.t[this.t.length - 1];
    if (!(last?.kind === 'punct' && last.v === '}')) return false;
    const inner = this.t.slice(this.i + 1, this.t.length - 1);
    let params: string[] = [];
    let from = 0;
    if (inner[0]?.kind === 'punct' && inner[0].v === '|') {
      const close = inner.findIndex((x, j) => j > 0 && x.kind === 'punct' && x.v === '|');
      params = inner.slice(1, close).flatMap((x) => (x.kind === 'id' ? [x.v] : []));
      from = close + 1;
    }
    call.brace = { params, body: readTree(inner.slice(from)) };
    this.i = this.t.length;
    return true;
  }

  value(): Val | undefined {
    const t = this.peek();
    if (t === undefined) return undefined;
    this.i++;
    switch (t.kind) {
      case 'sym':
        return { k: 'sym', v: t.v };
      case 'str':
        return this.strings({ k: 'str', v: t.v, interp: t.interp === true });
      case 'num':
        return { k: 'num', v: t.v };
      case 'words':
        return {
          k: 'arr',
          items: (t.list ?? []).map((w) => ({ k: t.v === 'symbols' ? 'sym' : 'str', v: w }) as Val),
        };
      case 'const':
        return this.constant(t.v);
      case 'id':
        if (t.v === 'true' || t.v === 'false') return { k: 'bool', v: t.v === 'true' };
        if (t.v === 'nil') return { k: 'nil' };
        return undefined;
      case 'punct':
        if (t.v === '[') return this.array();
        if (t.v === '{') return this.hash();
        if (t.v === '->') return this.lambda();
        if (t.v === '-' && this.peek()?.kind === 'num') return { k: 'num', v: `-${this.t[this.i++]!.v}` };
        return undefined;
      default:
        return undefined;
    }
  }

  /** Adjacent string literals concatenate, as in Ruby ("a" "b"). */
  /** Adjacent literals concatenate ("a" "b"); `.squish` and other whitespace helpers are applied. */
  private strings(v: { k: 'str'; v: string; interp: boolean }): Val {
    while (this.peek()?.kind === 'str') {
      const n = this.t[this.i++]!;
      v.v += n.v;
      v.interp ||= n.interp === true;
    }
    while (this.isP('.') && this.peek(1)?.kind === 'id' && STRING_HELPERS.has(this.peek(1)!.v)) {
      const helper = this.peek(1)!.v;
      if (helper === 'squish') v.v = v.v.replace(/\s+/g, ' ').trim();
      else if (helper !== 'freeze') v.v = v.v.trim();
      this.i += 2;
    }
    return v;
  }

  /** `-> { "SQL expression" }`, as used for defaults such as `default: -> { "now()" }`. */
  private lambda(): Val | undefined {
    const body = this.peek(1);
    if (!this.isP('{') || body?.kind !== 'str' || body.interp || !this.isP('}', 2)) return undefined;
    this.i += 3;
    return { k: 'expr', v: body.v };
  }

  private constant(first: string): Val {
    let name = first;
    while (this.isP('::') && this.peek(1)?.kind === 'const') {
      name += `::${this.peek(1)!.v}`;
      this.i += 2;
    }
    return { k: 'const', v: name };
  }

  private array(): Val | undefined {
    const items: Val[] = [];
    while (!this.isP(']')) {
      const v = this.value();
      if (v === undefined) return undefined;
      items.push(v);
      if (this.isP(',')) this.i++;
      else if (!this.isP(']')) return undefined;
    }
    this.i++;
    return { k: 'arr', items };
  }

  private hash(): Val | undefined {
    const h: Record<string, Val> = {};
    for (;;) {
      while (this.peek()?.kind === 'nl') this.i++;
      if (this.isP('}')) break;
      const t = this.peek();
      let key: string;
      if (t?.kind === 'label') {
        key = t.v;
        this.i++;
      } else {
        const k = this.value();
        if (!(k?.k === 'sym' || k?.k === 'str') || !this.isP('=>')) return undefined;
        key = k.v;
        this.i++;
      }
      const v = this.value();
      if (v === undefined) return undefined;
      h[key] = v;
      while (this.peek()?.kind === 'nl') this.i++;
      if (this.isP(',')) this.i++;
      else if (!this.isP('}')) return undefined;
    }
    this.i++;
    return { k: 'hash', h };
  }
}

/** Index of a trailing `if`/`unless` modifier at bracket depth 0 (not at the start), or -1. */
function modifierAt(t: Tok[]): number {
  let depth = 0;
  for (let i = 1; i < t.length; i++) {
    const x = t[i]!;
    if (x.kind === 'punct' && (x.v === '(' || x.v === '[' || x.v === '{')) depth++;
    else if (x.kind === 'punct' && (x.v === ')' || x.v === ']' || x.v === '}')) depth--;
    else if (depth === 0 && x.kind === 'id' && (x.v === 'if' || x.v === 'unless')) return i;
  }
  return -1;
}

/**
 * Reads `[recv.]name args` with literal arguments, or undefined when the statement is anything else.
 * A trailing `if …`/`unless …` modifier is cut off and reported in `modifier`.
 */
export function readCall(stmt: Stmt): Call | undefined {
  const at = modifierAt(stmt.toks);
  if (at > 0) {
    const call = readCall({ ...stmt, toks: stmt.toks.slice(0, at) });
    return call && { ...call, modifier: stmt.toks[at]!.v as 'if' | 'unless' };
  }
  const t = stmt.toks;
  const r = new ArgReader(t);
  let recv: string | undefined;
  if (t[0]?.kind === 'id' && t[1]?.kind === 'punct' && t[1].v === '.' && t[2]?.kind === 'id') {
    recv = t[0].v;
    r.i = 2;
  }
  const name = r.peek();
  if (name?.kind !== 'id' || OPENERS.has(name.v)) return undefined;
  r.i++;
  const call: Call = { name: name.v, args: [], opts: {}, line: stmt.line, ...(recv ? { recv } : {}) };
  const paren = r.isP('(') && r.peek()!.start === name.end;
  if (paren) r.i++;
  return r.args(call, paren) ? call : undefined;
}
