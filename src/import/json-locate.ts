// Where a JSON text stops being valid: a small strict scanner run only after JSON.parse has failed (whose
// message does not always carry a position), so an error can name file:line:column.

/** Offset of the first character that makes `text` invalid JSON (text.length when it ends too soon). */
export function jsonErrorOffset(text: string): number {
  const s = new Scanner(text);
  try {
    s.value();
    s.ws();
    if (s.i < text.length) s.fail();
    return text.length;
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length);
    throw at;
  }
}

class Scanner {
  i = 0;
  constructor(private readonly text: string) {}
  fail(): never {
    throw this.i;
  }
  ws(): void {
    const t = this.text;
    while (
      this.i < t.length &&
      (t[this.i] === ' ' || t[this.i] === '\t' || t[this.i] === '\n' || t[this.i] === '\r')
    )
      this.i++;
  }
  private at(): string | undefined {
    return this.text[this.i];
  }
  private lit(word: string): void {
    for (const ch of word) {
      if (this.at() !== ch) this.fail();
      this.i++;
    }
  }
  private str(): void {
    this.i++; // opening quote
    while (this.i < this.text.length && this.at() !== '"') {
      if (this.text.charCodeAt(this.i) < 0x20) this.fail();
      if (this.at() === '\\') this.escape();
      this.i++;
    }
    if (this.i >= this.text.length) this.fail();
    this.i++;
  }
  private escape(): void {
    this.i++;
    const c = this.at();
    if (c === undefined) this.fail();
    if (c !== 'u') {
      if (!'"\\/bfnrt'.includes(c!)) this.fail();
      return;
    }
    for (let k = 0; k < 4; k++) {
      this.i++;
      if (!/[0-9a-fA-F]/.test(this.at() ?? '')) this.fail();
    }
  }
  private num(): void {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (!m || m[0] === '' || m[0] === '-') this.fail();
    this.i += m![0].length;
  }
  private container(close: string, member: () => void): void {
    this.i++;
    this.ws();
    if (this.at() === close) {
      this.i++;
      return;
    }
    for (;;) {
      member();
      this.ws();
      if (this.at() === ',') this.i++;
      else if (this.at() === close) {
        this.i++;
        return;
      } else this.fail();
    }
  }
  value(): void {
    this.ws();
    const c = this.at();
    if (c === undefined) this.fail();
    if (c === '{')
      this.container('}', () => {
        this.ws();
        if (this.at() !== '"') this.fail();
        this.str();
        this.ws();
        if (this.at() !== ':') this.fail();
        this.i++;
        this.value();
      });
    else if (c === '[') this.container(']', () => this.value());
    else if (c === '"') this.str();
    else if (c === 't') this.lit('true');
    else if (c === 'f') this.lit('false');
    else if (c === 'n') this.lit('null');
    else this.num();
  }
}
