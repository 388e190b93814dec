// The least a formatter needs from whoever prints: a line sink and colours. The CLI's Output fits it
// (and redacts what passes through); lint itself never imports the CLI.

/** Colour functions (identity when colour is off). */
export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  underline(s: string): string;
}

export interface TextWriter {
  readonly c: Paint;
  line(text?: string): void;
}
