// A tokenizer for the subset of Ruby that migration files are written in: identifiers, constants,
// symbols, labels (`null:`), strings (quoted, %q/%Q/%w/%i, heredocs with interpolation flagged), numbers
// and punctuation. Comments and `=begin/=end` are dropped; newlines are kept (they end statements).

export type TokKind = 'id' | 'const' | 'ivar' | 'sym' | 'label' | 'str' | 'words' | 'num' | 'punct' | 'nl';

export interface Tok {
  kind: TokKind;
  /** Name, symbol name, string contents, number text or punctuation. */
  v: string;
  /** Word lists (%w[] / %i[]). */
  list?: string[];
  /** A double-quoted string or heredoc with `#{…}` in it: its value is not known statically. */
  interp?: boolean;
  line: number;
  /** Offsets in the source, for quoting the code in notes. */
  start: number;
  end: number;
}

const PUNCT3 = ['**=', '<=>', '===', '...', '||=', '&&='];
const PUNCT2 = [
  '=>',
  '->',
  '::',
  '&.',
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '..',
  '+=',
  '-=',
  '=~',
  '<<',
];
const PAIRS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };

class Lexer {
  readonly toks: Tok[] = [];
  private i = 0;
  private line = 1;
  private heredocs: { id: string; squiggly: boolean; raw: boolean; tok: Tok }[] = [];
  constructor(private readonly s: string) {}

  private push(kind: TokKind, v: string, start: number, extra: Partial<Tok> = {}): Tok {
    const tok: Tok = { kind, v, line: this.line, start, end: this.i, ...extra };
    this.toks.push(tok);
    return tok;
  }

  run(): Tok[] {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      const start = this.i;
      if (c === '\n') {
        this.i++;
        this.newline(start);
      } else if (c === ' ' || c === '\t' || c === '\r') this.i++;
      else if (c === '\\' && s[this.i + 1] === '\n') {
        this.i += 2;
        this.line++;
      } else if (c === '#') this.skipTo('\n');
      else if (c === '=' && this.atLineStart() && s.startsWith('=begin', this.i)) this.blockComment();
      else if (s.startsWith('__END__', this.i) && this.atLineStart()) break;
      else this.token(c, start);
    }
    return this.toks;
  }

  private token(c: string, start: number): void {
    const s = this.s;
    if (/[a-z_]/.test(c)) this.word(start);
    else if (/[A-Z]/.test(c)) {
      this.i = this.scan(/[\w]/);
      this.push('const', s.slice(start, this.i), start);
    } else if (c === '@' || c === '$') {
      this.i = this.scan(/[\w@$]/, this.i + 1);
      this.push('ivar', s.slice(start, this.i), start);
    } else if (/\d/.test(c)) {
      this.i = this.scan(/[\w.]/);
      this.push('num', s.slice(start, this.i).replace(/_/g, ''), start);
    } else if (c === '"' || c === "'" || c === '`') this.quoted(c, c, start);
    else if (c === ':' && /[A-Za-z_"']/.test(s[this.i + 1] ?? '') && s[this.i - 1] !== ':')
      this.symbol(start);
    else if (c === '%' && /[qQwWiI]?[([{<|!/]/.test(s.slice(this.i + 1, this.i + 3))) this.percent(start);
    else if (s.startsWith('<<', this.i) && /^<<[~-]?(['"]?)[A-Za-z_]\w*\1/.test(s.slice(this.i, this.i + 40)))
      this.heredocStart(start);
    else this.punct(start);
  }

  private atLineStart(): boolean {
    return this.i === 0 || this.s[this.i - 1] === '\n';
  }

  private scan(re: RegExp, from = this.i): number {
    let j = from;
    while (j < this.s.length && re.test(this.s[j]!)) j++;
    return j;
  }

  private skipTo(ch: string): void {
    const j = this.s.indexOf(ch, this.i);
    this.i = j === -1 ? this.s.length : j;
  }

  private blockComment(): void {
    const end = this.s.indexOf('\n=end', this.i);
    const stop = end === -1 ? this.s.length : end + 5;
    for (let j = this.i; j < stop; j++) if (this.s[j] === '\n') this.line++;
    this.i = stop;
  }

  private word(start: number): void {
    const s = this.s;
    this.i = this.scan(/\w/);
    if ((s[this.i] === '?' || s[this.i] === '!') && s[this.i + 1] !== '=') this.i++;
    // `name:` is a hash label unless it is `name::` or the `? :` of a ternary written without spaces.
    if (s[this.i] === ':' && s[this.i + 1] !== ':') {
      const v = s.slice(start, this.i);
      this.i++;
      this.push('label', v, start);
      return;
    }
    this.push('id', s.slice(start, this.i), start);
  }

  private symbol(start: number): void {
    this.i++;
    const q = this.s[this.i];
    if (q === '"' || q === "'") {
      const tok = this.quoted(q, q, start);
      tok.kind = 'sym';
      return;
    }
    this.i = this.scan(/\w/);
    if (/[?!=]/.test(this.s[this.i] ?? '') && this.s[this.i + 1] !== '>') this.i++;
    this.push('sym', this.s.slice(start + 1, this.i), start);
  }

  /** A delimited string; `"` and %Q allow #{…} (nested braces skipped) and escapes. */
  private quoted(open: string, close: string, start: number, interpolating = open !== "'"): Tok {
    const s = this.s;
    let out = '';
    let interp = false;
    let depth = 0;
    this.i++;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '\\' && this.i + 1 < s.length) {
        const n = s[this.i + 1]!;
        out += interpolating ? unescapeChar(n) : n === close || n === '\\' ? n : `\\${n}`;
        this.i += 2;
        continue;
      }
      if (interpolating && c === '#' && s[this.i + 1] === '{') interp = true;
      if (c === '\n') this.line++;
      if (open !== close && c === open) depth++;
      else if (c === close) {
        if (depth === 0) break;
        depth--;
      }
      out += c;
      this.i++;
    }
    this.i++;
    if (interp) out = literalInterpolations(out);
    return this.push('str', out, start, interp && out.includes('#{') ? { interp } : {});
  }

  private percent(start: number): void {
    let kind = this.s[this.i + 1]!;
    this.i++;
    if (/[qQwWiI]/.test(kind)) this.i++;
    else kind = 'Q';
    const open = this.s[this.i]!;
    const tok = this.quoted(open, PAIRS[open] ?? open, start, kind === 'Q' || kind === 'W' || kind === 'I');
    if (/[wWiI]/.test(kind)) {
      tok.kind = 'words';
      tok.list = tok.v.split(/\s+/).filter(Boolean);
      if (/[iI]/.test(kind)) tok.v = 'symbols';
    }
  }

  private heredocStart(start: number): void {
    const m = /^<<([~-]?)(['"]?)([A-Za-z_]\w*)\2/.exec(this.s.slice(this.i, this.i + 40))!;
    this.i += m[0].length;
    const tok = this.push('str', '', start);
    this.heredocs.push({ id: m[3]!, squiggly: m[1] === '~', raw: m[2] === "'", tok });
  }

  /** After a newline, bodies of the heredocs opened on the line just ended are read. */
  private newline(start: number): void {
    const prev = this.toks[this.toks.length - 1];
    if (prev?.kind !== 'nl') this.toks.push({ kind: 'nl', v: '\n', line: this.line, start, end: start + 1 });
    this.line++;
    for (const h of this.heredocs.splice(0)) this.heredocBody(h);
  }

  private heredocBody(h: { id: string; squiggly: boolean; raw: boolean; tok: Tok }): void {
    const lines: string[] = [];
    while (this.i < this.s.length) {
      const nl = this.s.indexOf('\n', this.i);
      const end = nl === -1 ? this.s.length : nl;
      const text = this.s.slice(this.i, end);
      this.i = nl === -1 ? this.s.length : nl + 1;
      this.line++;
      if (text.trim() === h.id) break;
      lines.push(text);
    }
    let body = lines;
    if (h.squiggly) {
      const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
      const cut = indents.length ? Math.min(...indents) : 0;
      body = lines.map((l) => l.slice(cut));
    }
    h.tok.v = body.join('\n') + (body.length ? '\n' : '');
    if (!h.raw) h.tok.v = literalInterpolations(h.tok.v);
    if (!h.raw && h.tok.v.includes('#{')) h.tok.interp = true;
  }

  private punct(start: number): void {
    const s = this.s;
    const three = s.slice(this.i, this.i + 3);
    const two = s.slice(this.i, this.i + 2);
    const v = PUNCT3.includes(three) ? three : PUNCT2.includes(two) ? two : s[this.i]!;
    this.i += v.length;
    this.push('punct', v, start);
  }
}

/** `#{' '}` / `#{"x"}` (a literal inside an interpolation, as formatters leave them) is just its text. */
function literalInterpolations(text: string): string {
  return text.replace(
    /#\{\s*(?:'([^'\\]*)'|"([^"\\#]*)")\s*\}/g,
    (_, a: string | undefined, b: string | undefined) => a ?? b ?? '',
  );
}

function unescapeChar(n: string): string {
  return n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '\0' : n;
}

export function tokenize(source: string): Tok[] {
  return new Lexer(source).run();
}
