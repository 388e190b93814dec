// Everything the CLI prints goes through here: redacted, coloured only on a TTY without NO_COLOR,
// JSON when asked. Library code never prints.
import pc from 'picocolors';
import { redact, writeRedactedJson } from '../redact.js';

export interface OutputOptions {
  json: boolean;
  color: boolean;
  quiet?: boolean;
}

export function colorWanted(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export class Output {
  readonly json: boolean;
  readonly c: ReturnType<typeof pc.createColors>;
  readonly quiet: boolean;
  constructor(opts: OutputOptions) {
    this.json = opts.json;
    this.quiet = opts.quiet ?? false;
    this.c = pc.createColors(opts.color);
  }
  /** A line for people on stdout (suppressed in --json mode, where stdout is reserved for the document). */
  line(text = ''): void {
    if (this.json) return;
    process.stdout.write(`${redact(text)}\n`);
  }
  /** Progress and notices on stderr: visible in --json mode too, never mixed into the document. */
  info(text: string): void {
    if (this.quiet) return;
    process.stderr.write(`${redact(text)}\n`);
  }
  warn(text: string): void {
    process.stderr.write(`${this.c.yellow('warning:')} ${redact(text)}\n`);
  }
  error(text: string, hint?: string, details: string[] = []): void {
    process.stderr.write(`${this.c.red('error:')} ${redact(text)}\n`);
    for (const d of details) process.stderr.write(`  ${redact(d)}\n`);
    if (hint) process.stderr.write(`  ${this.c.dim('hint:')} ${redact(hint)}\n`);
  }
  /**
   * The JSON document on stdout, redacted, written as it is serialised (chunks of ~1 MiB): a 50,000-finding
   * lint report, ~40 MB of JSON, is never held as one string.
   */
  document(value: unknown): void {
    const written = writeRedactedJson(value, 2, (chunk) => process.stdout.write(chunk));
    process.stdout.write(written ? '\n' : 'undefined\n');
  }
}

/** A plain text table: columns padded to their widest cell, colour codes ignored when measuring. */
export function table(headers: string[], rows: string[][]): string {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = headers.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const fmt = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visible(cell))))
      .join('  ')
      .trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}
