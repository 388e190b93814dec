// Lists every function, method and arrow function in src/ longer than the limit, and every file longer
// than --file-limit (default 400 lines), and fails when any is over. Why: a newcomer should read each step of a procedure on one screen; long functions are where
// steps hide. Data tables (a function whose body is a single returned/declared object or array literal)
// are exempt: their length is content, not logic.
//
// Usage: node --import tsx scripts/long-functions.ts [--limit N] [--report N] [--dir DIR]
//   --limit N   fail when a function is longer than N lines (default 80)
//   --report N  also list functions longer than N lines without failing (default: the limit)
//   --dir DIR   the source folder to measure (default src)
//   --file-limit N  fail when a file is longer than N lines (default 400)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

interface LongFunction {
  file: string;
  line: number;
  name: string;
  lines: number;
}

function argNumber(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) {
    process.stderr.write(`error: ${flag} needs a positive whole number of lines\n`);
    process.exit(2);
  }
  return value;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f))
    .sort();
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (named.name) return named.name.getText(sf);
  // Arrow functions and function expressions take the name of what they are assigned to.
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(sf);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(sf);
  if (parent && ts.isCallExpression(parent))
    return `<callback of ${parent.expression.getText(sf).slice(0, 40)}>`;
  return '<anonymous>';
}

// A data table: the body only declares or returns one object/array literal (e.g. a rule's case list).
function isDataTable(body: ts.Node): boolean {
  if (ts.isObjectLiteralExpression(body) || ts.isArrayLiteralExpression(body)) return true;
  if (!ts.isBlock(body) || body.statements.length !== 1) return false;
  const only = body.statements[0]!;
  const literal = (e: ts.Expression | undefined) =>
    e !== undefined && (ts.isObjectLiteralExpression(e) || ts.isArrayLiteralExpression(e));
  if (ts.isReturnStatement(only)) return literal(only.expression);
  return false;
}

function longFunctionsIn(file: string, threshold: number): LongFunction[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const body = node.body as ts.Node;
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > threshold && !isDataTable(body)) {
        found.push({ file, line: start + 1, name: nameOf(node, sf), lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

const limit = argNumber('--limit', 80);
const report = argNumber('--report', limit);
const dirAt = process.argv.indexOf('--dir');
const dir = dirAt >= 0 ? (process.argv[dirAt + 1] ?? 'src') : 'src';
const all = sourceFiles(dir).flatMap((f) => longFunctionsIn(f, Math.min(limit, report)));
all.sort((a, b) => b.lines - a.lines);
for (const f of all) {
  const mark = f.lines > limit ? 'over' : 'near';
  process.stdout.write(`${mark} ${String(f.lines).padStart(4)} lines  ${f.file}:${f.line}  ${f.name}\n`);
}
const fileLimit = argNumber('--file-limit', 400);
const longFiles = sourceFiles(dir)
  .map((file) => ({ file, lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
  .filter((f) => f.lines > fileLimit);
for (const f of longFiles) process.stdout.write(`file ${String(f.lines).padStart(4)} lines  ${f.file}\n`);
const over = all.filter((f) => f.lines > limit);
if (longFiles.length > 0) {
  process.stderr.write(
    `error: ${longFiles.length} file(s) in ${dir}/ are longer than ${fileLimit} lines; split them by what they do\n`,
  );
}
if (over.length > 0) {
  process.stderr.write(
    `error: ${over.length} function(s) in ${dir}/ are longer than ${limit} lines; split them into named steps\n`,
  );
}
if (over.length > 0 || longFiles.length > 0) process.exit(1);
process.stdout.write(
  `ok: no function in ${dir}/ is longer than ${limit} lines, no file longer than ${fileLimit}\n`,
);
