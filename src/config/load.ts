// Finds, parses and validates pgward.yaml. Every error names the file, the line and the key, and says
// what is expected, so a bad config is fixed in one go.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { configSchema, type RawConfig } from './schema.js';

export { CONFIG_NAMES, findConfig } from './find.js';

export interface LoadedConfig {
  /** Absolute path of the file. */
  path: string;
  /** Directory that relative paths in the file are resolved against. */
  baseDir: string;
  raw: RawConfig;
  /** Line of a key path (e.g. ['environments','production','url']), for later errors such as missing ${VAR}. */
  lineOf(path: (string | number)[]): number | undefined;
}

/**
 * Reads and validates pgward.yaml; an invalid file is a UsageError naming file:line.
 *
 * @example
 * ```ts
 * import { loadConfig } from 'pgward';
 * const config = loadConfig('pgward.yaml');
 * console.log(Object.keys(config.raw.environments ?? {}));
 * ```
 */
export function loadConfig(path: string): LoadedConfig {
  const abs = resolve(path);
  const shown = relative(process.cwd(), abs) || abs;
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config ${shown}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parseConfigText(text, abs, shown);
}

export function parseConfigText(text: string, abs: string, shown = abs): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
    throw new UsageError(
      `${shown}:${line}: invalid YAML: ${e.message.split('\n')[0]}`,
      'fix the YAML syntax at that line',
    );
  }
  const data = doc.toJS() ?? {};
  // The line of a key path: the key itself when it exists (so "polciy:" points at its own line), else
  // the closest existing parent.
  const lineOf = (p: (string | number)[]): number | undefined => {
    for (let n = p.length; n >= 0; n--) {
      const parent = n === 0 ? undefined : n === 1 ? doc.contents : doc.getIn(p.slice(0, n - 1), true);
      if (n > 0 && isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === p[n - 1]);
        if (pair && isNode(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
      }
      const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(describeIssue(shown, issue, lineOf));
  }
  return { path: abs, baseDir: dirname(abs), raw: parsed.data, lineOf };
}

function describeIssue(
  file: string,
  issue: z.core.$ZodIssue,
  lineOf: (p: (string | number)[]) => number | undefined,
): string {
  const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  let key = path.join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys[0]!;
    key = [...path, unknown].join('.');
    const line = lineOf([...path, unknown]);
    return `${file}:${line ?? '?'}: unknown key "${key}": remove it or check its spelling (see docs/configuration.md)`;
  }
  if (issue.code === 'invalid_type' && message.includes('received undefined')) {
    message = `required key is missing (${issue.expected} expected)`;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  const line = lineOf(path);
  return `${file}:${line ?? '?'}: ${key || '(top level)'}: ${message}`;
}
